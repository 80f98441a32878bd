// Throw-away certificates for TLS tests: a CA, a server certificate for 127.0.0.1 signed by
// it, and an unrelated CA; made with the openssl command in a new temporary directory.
#pragma once

#include <string>
#include <vector>

#include "core/status.h"

namespace vimur::testing {

// Returns the directory holding ca.pem, server.pem, server-key.pem and other-ca.pem; the
// caller removes it.
Result<std::string> MakeTestCertificates();

// mariadbd options serving TLS with the certificates in `dir` (from MakeTestCertificates).
std::vector<std::string> MariaDbTlsOptions(const std::string& dir);

}  // namespace vimur::testing
