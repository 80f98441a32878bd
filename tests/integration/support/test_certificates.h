// Throw-away certificates for TLS tests: a CA, a server certificate for 127.0.0.1 signed by
// it, and an unrelated CA; made with the openssl command in a new temporary directory.
#pragma once

#include <string>

#include "core/status.h"

namespace vimur::testing {

// Returns the directory holding ca.pem, server.pem, server-key.pem and other-ca.pem; the
// caller removes it.
Result<std::string> MakeTestCertificates();

}  // namespace vimur::testing
