// The TLS RedisLink (rediss://): a TCP socket of our own, OpenSSL's TLS over it, hiredis's
// command formatting (redisFormatCommandArgv) and reply parser (redisReader). hiredis parses
// every byte Redis sends; this file only moves bytes.
#include <arpa/inet.h>
#include <fcntl.h>
#include <hiredis/hiredis.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <pthread.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <ctime>

#include "sink/redis/redis_link.h"

namespace vimur::sink {
namespace {

// What OpenSSL's error queue says (reasons only, e.g. "certificate verify failed"); empties it.
std::string OpenSslReasons() {
  std::string out;
  while (unsigned long e = ERR_get_error()) {
    const char* reason = ERR_reason_error_string(e);
    std::string text = reason != nullptr ? reason : "error " + std::to_string(ERR_GET_REASON(e));
    if (out.find(text) != std::string::npos) continue;
    out += (out.empty() ? "" : "; ") + text;
  }
  return out;
}

// What to check after a TLS failure whose OpenSSL reason is `reason`.
std::string TlsHint(const std::string& reason) {
  if (reason.find("certificate verify failed") != std::string::npos) {
    return "; check tls_ca (the PEM file of the CA that signed Redis's certificate; without it "
           "the system's CAs are used) and that the certificate names the url's host "
           "(tls_verify: false skips both checks, for tests only)";
  }
  if (reason.find("alert") != std::string::npos) {
    return "; Redis refused the TLS connection: if it requires client certificates "
           "(tls-auth-clients), check tls_cert and tls_key (a certificate its tls-ca-cert-file "
           "signed, and its key)";
  }
  return "; check that the url's port is Redis's tls-port, and tls_ca, tls_cert and tls_key";
}

bool IsIpAddress(const std::string& host) {
  unsigned char buffer[sizeof(in6_addr)];
  return inet_pton(AF_INET, host.c_str(), buffer) == 1 ||
         inet_pton(AF_INET6, host.c_str(), buffer) == 1;
}

// SIGPIPE blocked while the link writes to a socket the server may have closed (OpenSSL writes
// with write(2), which has no MSG_NOSIGNAL); one raised meanwhile is taken before unblocking.
class SigpipeBlock {
 public:
  SigpipeBlock() {
    sigemptyset(&pipe_);
    sigaddset(&pipe_, SIGPIPE);
    sigset_t pending;
    sigemptyset(&pending);
    pending_before_ = sigpending(&pending) == 0 && sigismember(&pending, SIGPIPE) == 1;
    pthread_sigmask(SIG_BLOCK, &pipe_, &old_);
  }
  ~SigpipeBlock() {
    sigset_t pending;
    sigemptyset(&pending);
    if (!pending_before_ && sigpending(&pending) == 0 && sigismember(&pending, SIGPIPE) == 1) {
      timespec zero{};
      while (sigtimedwait(&pipe_, nullptr, &zero) == -1 && errno == EINTR) {
      }
    }
    pthread_sigmask(SIG_SETMASK, &old_, nullptr);
  }
  SigpipeBlock(const SigpipeBlock&) = delete;
  SigpipeBlock& operator=(const SigpipeBlock&) = delete;

 private:
  sigset_t pipe_;
  sigset_t old_;
  bool pending_before_ = false;
};

// A connected TCP socket to host:port within `timeout_ms`, blocking, with send and receive
// timeouts of `timeout_ms`; -1 and the reason in `why`.
int ConnectTcp(const std::string& host, int port, int timeout_ms, std::string* why) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  if (int rc = getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &found); rc != 0) {
    *why = "cannot resolve '" + host + "': " + gai_strerror(rc);
    return -1;
  }
  int fd = -1;
  for (addrinfo* a = found; a != nullptr && fd < 0; a = a->ai_next) {
    fd = socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, a->ai_protocol);
    if (fd < 0) {
      *why = std::strerror(errno);
      continue;
    }
    int rc = connect(fd, a->ai_addr, a->ai_addrlen);
    if (rc != 0 && errno == EINPROGRESS) {
      pollfd p{fd, POLLOUT, 0};
      rc = poll(&p, 1, timeout_ms);
      if (rc == 0) {
        errno = ETIMEDOUT;
        rc = -1;
      } else if (rc > 0) {
        int error = 0;
        socklen_t len = sizeof error;
        getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &len);
        errno = error;
        rc = error == 0 ? 0 : -1;
      }
    }
    if (rc != 0) {
      *why = std::strerror(errno);
      close(fd);
      fd = -1;
    }
  }
  freeaddrinfo(found);
  if (fd < 0) return -1;
  fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
  timeval tv;
  tv.tv_sec = timeout_ms / 1000;
  tv.tv_usec = (timeout_ms % 1000) * 1000;
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  return fd;
}

class TlsLink final : public RedisLink {
 public:
  TlsLink(std::string where, int timeout_ms) : where_(std::move(where)), timeout_ms_(timeout_ms) {}
  ~TlsLink() override {
    if (ssl_ != nullptr) {
      if (connected_ && !broken_) {
        SigpipeBlock block;
        SSL_shutdown(ssl_);  // close_notify; the answer is not awaited
      }
      SSL_free(ssl_);
    }
    if (fd_ >= 0) close(fd_);
    if (ctx_ != nullptr) SSL_CTX_free(ctx_);
    if (reader_ != nullptr) redisReaderFree(reader_);
    ERR_clear_error();
  }
  TlsLink(const TlsLink&) = delete;
  TlsLink& operator=(const TlsLink&) = delete;

  Status Open(const RedisUrl& url, const RedisTls& tls);

  Status Exchange(const std::vector<std::vector<std::string>>& commands,
                  const std::function<void(const redisReply&)>& on_reply) override;

 private:
  // The status of a failed SSL_* call that returned `rc` (`what`: "handshake", "write" or
  // "read"); marks the link broken.
  Status Failure(int rc, const char* what);

  std::string where_;
  int timeout_ms_;
  SSL_CTX* ctx_ = nullptr;
  SSL* ssl_ = nullptr;
  int fd_ = -1;
  redisReader* reader_ = nullptr;
  bool connected_ = false;  // the handshake succeeded
  bool broken_ = false;
  bool answered_ = false;  // a reply arrived since the handshake
  std::string out_;        // the formatted pipeline, reused
};

Status TlsLink::Failure(int rc, const char* what) {
  const int saved_errno = errno;
  broken_ = true;
  const int error = SSL_get_error(ssl_, rc);
  const bool handshake = std::strcmp(what, "handshake") == 0;
  std::string reasons = OpenSslReasons();
  std::string why;
  switch (error) {
    case SSL_ERROR_ZERO_RETURN: why = "Redis closed the connection"; break;
    case SSL_ERROR_WANT_READ:
    case SSL_ERROR_WANT_WRITE:
      why = "no answer within timeout_ms (" + std::to_string(timeout_ms_) + " ms)";
      break;
    case SSL_ERROR_SYSCALL:
      why = saved_errno == 0 ? "the connection was closed" : std::strerror(saved_errno);
      break;
    default:
      if (reasons.find("unexpected eof") != std::string::npos) {
        why = "Redis closed the connection";
      } else {
        why = reasons.empty() ? "error " + std::to_string(error) : reasons;
      }
      break;
  }
  if (!reasons.empty() && why != reasons) why += " (" + reasons + ")";
  if (long v = SSL_get_verify_result(ssl_); handshake && v != X509_V_OK) {
    why += std::string(" (") + X509_verify_cert_error_string(v) + ")";
  }
  // Once the connection worked, a failure is Redis going away (restarted, killed): no hint.
  std::string hint;
  if (!answered_ && (!reasons.empty() || handshake)) {
    hint = TlsHint(reasons);
  } else if (!answered_) {
    // With TLS 1.3 the client's handshake ends before Redis checked its certificate: a
    // refusal shows as a connection closed before the first answer.
    hint =
        "; Redis closed the TLS connection before its first answer: if it requires client "
        "certificates (tls-auth-clients), check tls_cert and tls_key";
  }
  return Status::Unavailable(std::string("TLS ") + what + " with " + where_ + " failed: " + why +
                             hint);
}

Status TlsLink::Open(const RedisUrl& url, const RedisTls& tls) {
  ERR_clear_error();
  ctx_ = SSL_CTX_new(TLS_client_method());
  reader_ = redisReaderCreate();
  if (ctx_ == nullptr || reader_ == nullptr) {
    return Status::Unavailable(where_ + ": cannot set up TLS: " + OpenSslReasons());
  }
  SSL_CTX_set_min_proto_version(ctx_, TLS1_2_VERSION);
  SSL_CTX_set_mode(ctx_, SSL_MODE_AUTO_RETRY);
  if (tls.verify) SSL_CTX_set_verify(ctx_, SSL_VERIFY_PEER, nullptr);
  const bool ca_loaded = tls.ca.empty()
                             ? SSL_CTX_set_default_verify_paths(ctx_) == 1
                             : SSL_CTX_load_verify_locations(ctx_, tls.ca.c_str(), nullptr) == 1;
  if (!ca_loaded) {
    return Status::Unavailable(where_ + ": tls_ca '" + tls.ca +
                               "' is not a PEM file of CA certificates: " + OpenSslReasons());
  }
  if (!tls.cert.empty()) {
    if (SSL_CTX_use_certificate_chain_file(ctx_, tls.cert.c_str()) != 1) {
      return Status::Unavailable(where_ + ": tls_cert '" + tls.cert +
                                 "' is not a PEM certificate: " + OpenSslReasons());
    }
    if (SSL_CTX_use_PrivateKey_file(ctx_, tls.key.c_str(), SSL_FILETYPE_PEM) != 1 ||
        SSL_CTX_check_private_key(ctx_) != 1) {
      return Status::Unavailable(where_ + ": tls_key '" + tls.key +
                                 "' is not the PEM key of tls_cert: " + OpenSslReasons());
    }
  }
  std::string why;
  fd_ = ConnectTcp(url.host, url.port, timeout_ms_, &why);
  if (fd_ < 0) {
    return Status::Unavailable(where_ + " cannot be reached: " + why +
                               "; check that it runs and the url's host and port");
  }
  ssl_ = SSL_new(ctx_);
  if (ssl_ == nullptr || SSL_set_fd(ssl_, fd_) != 1) {
    return Status::Unavailable(where_ + ": cannot set up TLS: " + OpenSslReasons());
  }
  const bool ip = IsIpAddress(url.host);
  if (!ip) SSL_set_tlsext_host_name(ssl_, url.host.c_str());  // SNI takes names only
  if (tls.verify) {
    X509_VERIFY_PARAM* param = SSL_get0_param(ssl_);
    const int set = ip ? X509_VERIFY_PARAM_set1_ip_asc(param, url.host.c_str())
                       : X509_VERIFY_PARAM_set1_host(param, url.host.c_str(), 0);
    if (set != 1) {
      return Status::Unavailable(where_ + ": cannot check the host name '" + url.host +
                                 "': " + OpenSslReasons());
    }
  }
  SigpipeBlock block;
  if (int rc = SSL_connect(ssl_); rc != 1) return Failure(rc, "handshake");
  connected_ = true;
  return Status::Ok();
}

Status TlsLink::Exchange(const std::vector<std::vector<std::string>>& commands,
                         const std::function<void(const redisReply&)>& on_reply) {
  if (broken_) return Status::Unavailable(where_ + ": the connection failed before");
  out_.clear();
  std::vector<const char*> argv;
  std::vector<size_t> lengths;
  for (const auto& command : commands) {
    argv.clear();
    lengths.clear();
    for (const std::string& a : command) {
      argv.push_back(a.data());
      lengths.push_back(a.size());
    }
    char* formatted = nullptr;
    const int n = redisFormatCommandArgv(&formatted, static_cast<int>(argv.size()), argv.data(),
                                         lengths.data());
    if (n < 0 || formatted == nullptr) return Status::IoError(where_ + ": out of memory");
    out_.append(formatted, static_cast<size_t>(n));
    redisFreeCommand(formatted);
  }
  SigpipeBlock block;
  ERR_clear_error();
  for (size_t done = 0; done < out_.size();) {
    const int chunk = static_cast<int>(std::min<size_t>(out_.size() - done, 1 << 20));
    const int rc = SSL_write(ssl_, out_.data() + done, chunk);
    if (rc <= 0) {
      Status failed = Failure(rc, "write");
      // Redis may have refused the connection with an alert (e.g. no client certificate)
      // before the write: read it for its reason.
      char alert[256];
      const int read = SSL_read(ssl_, alert, sizeof alert);
      if (read <= 0 && SSL_get_error(ssl_, read) == SSL_ERROR_SSL) return Failure(read, "write");
      ERR_clear_error();
      return failed;
    }
    done += static_cast<size_t>(rc);
  }
  char buffer[16 * 1024];
  for (size_t i = 0; i < commands.size(); ++i) {
    void* reply = nullptr;
    while (true) {
      if (redisReaderGetReply(reader_, &reply) != REDIS_OK) {
        broken_ = true;
        return Status::IoError(where_ + ": unreadable answer (" + reader_->errstr + ")");
      }
      if (reply != nullptr) break;
      const int rc = SSL_read(ssl_, buffer, sizeof buffer);
      if (rc <= 0) {
        Status s = Failure(rc, "read");
        return answered_ ? Status(s.code(), s.message() + "; the batch is sent again") : s;
      }
      redisReaderFeed(reader_, buffer, static_cast<size_t>(rc));
    }
    answered_ = true;
    on_reply(*static_cast<const redisReply*>(reply));
    freeReplyObject(reply);
  }
  return Status::Ok();
}

}  // namespace

Result<std::unique_ptr<RedisLink>> OpenTlsRedisLink(const RedisUrl& url, const RedisTls& tls,
                                                    int timeout_ms, const std::string& where) {
  auto link = std::make_unique<TlsLink>(where, timeout_ms);
  VIMUR_RETURN_IF_ERROR(link->Open(url, tls));
  return std::unique_ptr<RedisLink>(std::move(link));
}

}  // namespace vimur::sink
