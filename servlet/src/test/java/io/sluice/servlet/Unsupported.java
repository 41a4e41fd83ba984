package io.sluice.servlet;

import java.lang.reflect.Proxy;

/** An implementation of an interface whose every method throws: what a fake does not override. */
final class Unsupported {
  private Unsupported() {}

  static <T> T of(Class<T> type) {
    return type.cast(Proxy.newProxyInstance(type.getClassLoader(), new Class<?>[] {type},
        (proxy, method, args) -> {
          if (method.getName().equals("toString")) {
            return "unsupported " + type.getSimpleName();
          }
          throw new UnsupportedOperationException(type.getSimpleName() + "." + method.getName());
        }));
  }
}
