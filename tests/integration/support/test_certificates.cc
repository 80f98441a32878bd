#include "test_certificates.h"

#include <stdlib.h>

#include <cstdlib>
#include <filesystem>

namespace vimur::testing {

Result<std::string> MakeTestCertificates() {
  std::string dir = (std::filesystem::temp_directory_path() / "vimur-tls-XXXXXX").string();
  if (mkdtemp(dir.data()) == nullptr) {
    return Status::Internal("cannot make a temporary directory for test certificates");
  }
  const std::string script =
      "set -e; cd '" + dir +
      "'; "
      "openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj '/CN=Vimur Test CA' "
      "-keyout ca-key.pem -out ca.pem; "
      "openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj '/CN=Other CA' "
      "-keyout other-key.pem -out other-ca.pem; "
      "openssl req -newkey rsa:2048 -nodes -subj '/CN=127.0.0.1' -keyout server-key.pem "
      "-out server.csr; "
      "printf 'subjectAltName=IP:127.0.0.1\\n' > ext.cnf; "
      "openssl x509 -req -in server.csr -CA ca.pem -CAkey ca-key.pem -CAcreateserial "
      "-days 2 -extfile ext.cnf -out server.pem";
  if (std::system(("bash -c \"" + script + "\" >/dev/null 2>&1").c_str()) != 0) {
    return Status::Internal("openssl could not make test certificates in " + dir +
                            " (is the openssl command installed? scripts/setup installs it)");
  }
  return dir;
}

std::vector<std::string> MariaDbTlsOptions(const std::string& dir) {
  return {"--ssl-ca=" + dir + "/ca.pem", "--ssl-cert=" + dir + "/server.pem",
          "--ssl-key=" + dir + "/server-key.pem"};
}

}  // namespace vimur::testing
