#include "exporter/tls_server.h"

#include <dlfcn.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "exporter/read_whole_file.h"
#include "spdlog/spdlog.h"

namespace thoth {

// The stand-ins of exporter/tls_compat, embedded by exporter/tls_compat/embed.cmake.
extern const unsigned char kLibsslCompat[];
extern const unsigned long kLibsslCompatSize;
extern const unsigned char kLibcryptoCompat[];
extern const unsigned long kLibcryptoCompatSize;

namespace {

// civetweb 1.15 as Debian 12 builds it loads OpenSSL at run time: dlopen("libcrypto.so"),
// dlopen("libssl.so"), then dlsym() of each function it calls. Two problems with OpenSSL 3:
// SSL_get_peer_certificate is a macro there (no such symbol: civetweb's pointer stays NULL and
// the first TLS connection crashes calling it), and the unversioned names exist only with
// libssl-dev installed. So before civetweb looks, load two small objects whose SONAMEs are
// "libcrypto.so" and "libssl.so": glibc's dlopen() of a name without a slash first returns an
// already loaded object whose SONAME is that name, so civetweb gets these, and dlsym() on them
// finds OpenSSL 3's functions in their dependencies (libcrypto.so.3, libssl.so.3 — the very
// objects this binary links, so civetweb and this file share one OpenSSL). They are written to
// memory files and loaded from /proc/self/fd: nothing to install beside the binary.
//
// *fd is left open: glibc also matches a later dlopen() by the path string, so the second
// object must not get the first one's /proc/self/fd/N while that is still known.
Status LoadStandIn(const char* name, const unsigned char* bytes, unsigned long size, int* out_fd) {
  int fd = memfd_create(name, MFD_CLOEXEC);
  if (fd < 0) return Status::Error(std::string("memfd_create: ") + std::strerror(errno));
  unsigned long done = 0;
  while (done < size) {
    ssize_t n = write(fd, bytes + done, size - done);
    if (n <= 0) {
      close(fd);
      return Status::Error(std::string("writing the ") + name +
                           " stand-in: " + std::strerror(errno));
    }
    done += static_cast<unsigned long>(n);
  }
  const std::string path = "/proc/self/fd/" + std::to_string(fd);
  void* handle = dlopen(path.c_str(), RTLD_NOW | RTLD_GLOBAL);
  *out_fd = fd;
  if (handle == nullptr) {
    const char* error = dlerror();
    return Status::Error(std::string("loading the ") + name +
                         " stand-in: " + (error != nullptr ? error : "dlopen failed"));
  }
  return Status::Ok();  // never closed: civetweb holds pointers into OpenSSL for good
}

// The last OpenSSL error as text (and the queue emptied).
std::string OpenSslError() {
  unsigned long code = ERR_peek_last_error();
  std::string text;
  if (code != 0) {
    const char* reason = ERR_reason_error_string(code);
    text = reason != nullptr ? reason : "error " + std::to_string(code);
  }
  ERR_clear_error();
  return text.empty() ? "not in PEM format" : text;
}

// What a file is now (inode, size, modification time): a change means "read it again".
std::string Stamp(const std::string& path) {
  if (path.empty()) return "-";
  struct stat st {};
  if (stat(path.c_str(), &st) != 0) return "missing";
  return std::to_string(st.st_dev) + ":" + std::to_string(st.st_ino) + ":" +
         std::to_string(st.st_size) + ":" + std::to_string(st.st_mtim.tv_sec) + "." +
         std::to_string(st.st_mtim.tv_nsec);
}

struct BioDeleter {
  void operator()(BIO* b) const { BIO_free(b); }
};

int AcceptAnyCertificate(int, X509_STORE_CTX*) { return 1; }

}  // namespace

// One immutable snapshot: the configuration and what its files held when read.
struct TlsServer::State {
  TlsServerConfig config;
  std::string stamp;  // Stamp() of every file, joined
  X509* cert = nullptr;
  EVP_PKEY* key = nullptr;
  STACK_OF(X509) * chain = nullptr;
  X509_STORE* ca_store = nullptr;            // client CA (verification)
  STACK_OF(X509_NAME) * ca_names = nullptr;  // client CA (sent in the CertificateRequest)
  std::string cipher_list;

  ~State() {
    X509_free(cert);
    EVP_PKEY_free(key);
    sk_X509_pop_free(chain, X509_free);
    X509_STORE_free(ca_store);
    sk_X509_NAME_pop_free(ca_names, X509_NAME_free);
  }

  static std::string StampOf(const TlsServerConfig& c) {
    return Stamp(c.cert_file) + "|" + Stamp(c.key_file) + "|" + Stamp(c.client_ca_file);
  }

  // The certificate and the chain after it.
  static Status LoadCert(const TlsServerConfig& c, State* s) {
    StatusOr<std::string> read = ReadWholeFile(c.cert_file);
    if (!read.ok()) {
      return Status::Error(c.cert_file_at + ": cannot read " + c.cert_file + ": " +
                           read.status().message());
    }
    const std::string& text = read.value();
    std::unique_ptr<BIO, BioDeleter> bio(BIO_new_mem_buf(text.data(), int(text.size())));
    s->cert = PEM_read_bio_X509_AUX(bio.get(), nullptr, nullptr, nullptr);
    if (s->cert == nullptr) {
      return Status::Error(c.cert_file_at + ": " + c.cert_file +
                           ": no certificate: " + OpenSslError());
    }
    s->chain = sk_X509_new_null();
    while (X509* extra = PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr)) {
      sk_X509_push(s->chain, extra);
    }
    ERR_clear_error();  // the end of the file reads as an error
    return Status::Ok();
  }

  // The private key, which must be the certificate's.
  static Status LoadKey(const TlsServerConfig& c, State* s) {
    StatusOr<std::string> read = ReadWholeFile(c.key_file);
    if (!read.ok()) {
      return Status::Error(c.key_file_at + ": cannot read " + c.key_file + ": " +
                           read.status().message());
    }
    std::string& text = read.value();
    {
      std::unique_ptr<BIO, BioDeleter> bio(BIO_new_mem_buf(text.data(), int(text.size())));
      s->key = PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr);
      OPENSSL_cleanse(text.data(), text.size());
      if (s->key == nullptr) {
        return Status::Error(c.key_file_at + ": " + c.key_file +
                             ": no private key (unencrypted PEM expected): " + OpenSslError());
      }
    }
    if (X509_check_private_key(s->cert, s->key) != 1) {
      ERR_clear_error();
      return Status::Error(c.key_file_at + ": " + c.key_file +
                           " is not the private key of the certificate in " + c.cert_file);
    }
    return Status::Ok();
  }

  // The CAs that sign client certificates, when configured.
  static Status LoadClientCa(const TlsServerConfig& c, State* s) {
    if (c.client_ca_file.empty()) return Status::Ok();
    StatusOr<std::string> read = ReadWholeFile(c.client_ca_file);
    if (!read.ok()) {
      return Status::Error(c.client_ca_file_at + ": cannot read " + c.client_ca_file + ": " +
                           read.status().message());
    }
    const std::string& text = read.value();
    std::unique_ptr<BIO, BioDeleter> bio(BIO_new_mem_buf(text.data(), int(text.size())));
    s->ca_store = X509_STORE_new();
    s->ca_names = sk_X509_NAME_new_null();
    int count = 0;
    while (X509* ca = PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr)) {
      X509_STORE_add_cert(s->ca_store, ca);
      if (X509_NAME* name = X509_NAME_dup(X509_get_subject_name(ca))) {
        sk_X509_NAME_push(s->ca_names, name);
      }
      X509_free(ca);
      ++count;
    }
    ERR_clear_error();
    if (count == 0) {
      return Status::Error(c.client_ca_file_at + ": " + c.client_ca_file +
                           ": no PEM certificate in it");
    }
    return Status::Ok();
  }

  // Reads every file; the error names where the file was configured.
  static Status Load(const TlsServerConfig& c, std::shared_ptr<State>* out) {
    auto s = std::make_shared<State>();
    s->config = c;
    s->stamp = StampOf(c);
    if (Status st = LoadCert(c, s.get()); !st.ok()) return st;
    if (Status st = LoadKey(c, s.get()); !st.ok()) return st;
    if (Status st = LoadClientCa(c, s.get()); !st.ok()) return st;
    for (const auto& suite : c.cipher_suites) {
      s->cipher_list += (s->cipher_list.empty() ? "" : ":") + suite;
    }
    *out = std::move(s);
    return Status::Ok();
  }
};

Status TlsServer::PrepareLibrary() {
  static std::once_flag once;
  static Status result = Status::Ok();
  std::call_once(once, [] {
    int crypto_fd = -1, ssl_fd = -1;
    result = LoadStandIn("libcrypto.so", kLibcryptoCompat, kLibcryptoCompatSize, &crypto_fd);
    if (result.ok()) {
      result = LoadStandIn("libssl.so", kLibsslCompat, kLibsslCompatSize, &ssl_fd);
    }
    for (int fd : {crypto_fd, ssl_fd}) {
      if (fd >= 0) close(fd);  // the mappings stay
    }
    // civetweb must get these, not a libssl.so of a libssl-dev that may be installed.
    if (result.ok()) {
      void* ssl = dlopen("libssl.so", RTLD_NOW | RTLD_NOLOAD);
      if (ssl == nullptr || dlsym(ssl, "SSL_get_peer_certificate") == nullptr) {
        result = Status::Error("the libssl.so stand-in is not what dlopen(\"libssl.so\") finds");
      }
    }
  });
  return result;
}

Status TlsServer::Create(const TlsServerConfig& config, std::unique_ptr<TlsServer>* out) {
  Status prepared = PrepareLibrary();
  if (!prepared.ok()) return Status::Error("TLS is not available: " + prepared.message());
  std::shared_ptr<State> state;
  Status s = State::Load(config, &state);
  if (!s.ok()) return s;
  std::unique_ptr<TlsServer> server(new TlsServer());
  server->state_ = std::move(state);
  *out = std::move(server);
  return Status::Ok();
}

TlsServer::~TlsServer() = default;

Status TlsServer::Update(const TlsServerConfig& config) {
  std::shared_ptr<State> state;
  Status s = State::Load(config, &state);
  if (!s.ok()) return s;
  std::lock_guard<std::mutex> lock(mu_);
  state_ = std::move(state);
  failed_stamp_.clear();
  return Status::Ok();
}

std::shared_ptr<const TlsServer::State> TlsServer::Current() {
  std::lock_guard<std::mutex> lock(mu_);
  const std::string stamp = State::StampOf(state_->config);
  if (stamp == state_->stamp || stamp == failed_stamp_) return state_;
  std::shared_ptr<State> renewed;
  Status s = State::Load(state_->config, &renewed);
  if (!s.ok()) {
    // Typically a renewal caught half-way (certificate written, key not yet): the next change
    // of the files is tried again.
    spdlog::warn(
        "TLS: the changed certificate files cannot be used, still serving the previous "
        "ones: {}",
        s.message());
    failed_stamp_ = stamp;
    return state_;
  }
  spdlog::info("TLS: certificate files changed, serving the new ones from now on");
  state_ = std::move(renewed);
  failed_stamp_.clear();
  return state_;
}

int TlsServer::InstallOn(void* ssl_ctx) {
  SSL_CTX* ctx = static_cast<SSL_CTX*>(ssl_ctx);
  // civetweb sets SSL_OP_ALL with its own OpenSSL 1.1 value (0x80000BFF). In OpenSSL 3 those low
  // bits mean other things: no extended master secret, client-initiated renegotiation allowed,
  // and no CA names in the CertificateRequest (an empty certificate_authorities extension,
  // which Go's TLS 1.3 client, i.e. Prometheus, rejects as "unexpected message"). Start over
  // from the options this build of OpenSSL means.
  SSL_CTX_clear_options(ctx, ~static_cast<uint64_t>(0));
  SSL_CTX_set_options(ctx, SSL_OP_ALL | SSL_OP_NO_COMPRESSION | SSL_OP_CIPHER_SERVER_PREFERENCE |
                               SSL_OP_NO_RENEGOTIATION | SSL_OP_ENABLE_MIDDLEBOX_COMPAT);
  // No resumption: a resumed session skips the certificate checks of the current state.
  SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
  SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET);
  SSL_CTX_set_num_tickets(ctx, 0);
  static const unsigned char kContext[] = "thoth-exporter";
  SSL_CTX_set_session_id_context(ctx, kContext, sizeof(kContext) - 1);
  SSL_CTX_set_client_hello_cb(ctx, &TlsServer::OnClientHello, this);
  return 1;
}

// Runs inside the handshake, before the protocol version is chosen.
int TlsServer::OnClientHello(SSL* ssl, int* alert, void* arg) {
  auto* self = static_cast<TlsServer*>(arg);
  std::shared_ptr<const State> s = self->Current();
  const TlsServerConfig& c = s->config;
  SSL_clear_options(ssl, SSL_OP_NO_SSLv3 | SSL_OP_NO_TLSv1 | SSL_OP_NO_TLSv1_1 | SSL_OP_NO_TLSv1_2 |
                             SSL_OP_NO_TLSv1_3);
  bool ok = SSL_set_min_proto_version(ssl, c.min_version) == 1 &&
            SSL_set_max_proto_version(ssl, c.max_version) == 1;
  // OpenSSL 3 refuses TLS 1.0/1.1 at security level 1 and above: an operator who asks for them
  // (as Go would serve them) gets them.
  if (c.min_version < TLS1_2_VERSION) SSL_set_security_level(ssl, 0);
  if (ok && !s->cipher_list.empty()) ok = SSL_set_cipher_list(ssl, s->cipher_list.c_str()) == 1;
  if (ok && !c.groups.empty()) ok = SSL_set1_groups_list(ssl, c.groups.c_str()) == 1;
  ok = ok && SSL_use_cert_and_key(ssl, s->cert, s->key, s->chain, 1) == 1;
  int mode = SSL_VERIFY_NONE;
  SSL_verify_cb callback = nullptr;
  switch (c.client_auth) {
    case TlsServerConfig::ClientAuth::kNone:
      break;
    case TlsServerConfig::ClientAuth::kRequest:
      mode = SSL_VERIFY_PEER;
      callback = &AcceptAnyCertificate;
      break;
    case TlsServerConfig::ClientAuth::kRequireAny:
      mode = SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT;
      callback = &AcceptAnyCertificate;
      break;
    case TlsServerConfig::ClientAuth::kVerifyIfGiven:
      mode = SSL_VERIFY_PEER;
      break;
    case TlsServerConfig::ClientAuth::kRequireAndVerify:
      mode = SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT;
      break;
  }
  SSL_set_verify(ssl, mode, callback);
  if (ok && s->ca_store != nullptr) {
    ok = SSL_set1_verify_cert_store(ssl, s->ca_store) == 1;
    STACK_OF(X509_NAME)* names = SSL_dup_CA_list(s->ca_names);
    if (ok && names != nullptr) SSL_set_client_CA_list(ssl, names);
  }
  if (!ok) {
    spdlog::error("TLS: cannot set up a connection: {}", OpenSslError());
    *alert = SSL_AD_INTERNAL_ERROR;
    return SSL_CLIENT_HELLO_ERROR;
  }
  return SSL_CLIENT_HELLO_SUCCESS;
}

}  // namespace thoth
