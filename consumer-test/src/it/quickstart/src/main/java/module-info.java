/** A user's application on the module path: it requires Sluice's core module and nothing else. */
module com.example.consumer {
  requires io.sluice;
}
