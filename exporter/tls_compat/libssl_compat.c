/* A stand-in for "libssl.so" as civetweb 1.15 (Debian 12) loads it: civetweb dlopen()s
 * "libssl.so" and looks up ~65 functions by name. All but one exist in OpenSSL 3's libssl.so.3,
 * which this object depends on (dlsym on this handle searches it). The exception is
 * SSL_get_peer_certificate, a macro for SSL_get1_peer_certificate since OpenSSL 3.0: without
 * this definition civetweb's pointer is NULL and the first TLS connection calls address 0.
 *
 * Reference counting is unchanged: OpenSSL 1.1's SSL_get_peer_certificate already returned a
 * new reference (it was renamed get1 in 3.0 for that reason), and civetweb frees it with
 * X509_free when the connection ends.
 *
 * Linked with SONAME "libssl.so" and embedded in the exporter (see exporter/tls_server.cc). No
 * OpenSSL header is included: it would turn the name below into SSL_get1_peer_certificate. */
struct ssl_st;
struct x509_st;
extern struct x509_st* SSL_get1_peer_certificate(const struct ssl_st* ssl);

__attribute__((visibility("default"))) struct x509_st* SSL_get_peer_certificate(
    const struct ssl_st* ssl) {
  return SSL_get1_peer_certificate(ssl);
}
