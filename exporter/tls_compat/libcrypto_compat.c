/* A stand-in for "libcrypto.so" as civetweb 1.15 dlopen()s it: nothing of its own, linked with
 * SONAME "libcrypto.so" and a dependency on libcrypto.so.3, which dlsym on this handle searches.
 * The unversioned libcrypto.so exists only with libssl-dev installed; with this, running the
 * exporter needs only libssl3. See exporter/tls_server.cc. */
__attribute__((visibility("default"))) int thoth_libcrypto_compat = 1;
