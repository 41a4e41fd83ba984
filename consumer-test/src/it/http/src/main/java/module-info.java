/** A user's application on the module path: it requires Sluice's HTTP module, which reads core. */
module com.example.consumer.http {
  requires io.sluice.http;
}
