#include "registry/registry_server.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <thread>

#include "format/avro/avro_event_serializer.h"
#include "http/httplib.h"
#include "registry/schema_registry_client.h"

namespace vimur::registry {
namespace {

using nlohmann::json;

const std::string kV1 = R"({"type":"record","name":"r","fields":[{"name":"a","type":"int"}]})";
const std::string kV2 =
    R"({"type":"record","name":"r","fields":[{"name":"a","type":"int"},{"name":"b","type":["null","string"],"default":null}]})";
const std::string kBreaking =
    R"({"type":"record","name":"r","fields":[{"name":"a","type":"string"}]})";

RegistryClientOptions Opts(const std::string& url, const std::string& user = "",
                           const std::string& password = "", int timeout_ms = 10000) {
  RegistryClientOptions o;
  o.url = url;
  o.user = user;
  o.password = password;
  o.timeout_ms = timeout_ms;
  return o;
}

class RegistryServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = std::make_shared<RegistryStore>(log_, CompatibilityLevel::kBackward);
    ASSERT_TRUE(store_->Load().ok());
    server_ = std::make_unique<RegistryServer>(store_);
    ASSERT_TRUE(server_->Start("127.0.0.1:0").ok());
    http_ = std::make_unique<httplib::Client>("127.0.0.1", server_->port());
  }
  json Call(const char* method, const std::string& path, const json& body, int expect_status) {
    std::string text = body.is_null() ? "" : body.dump();
    const char* type = "application/vnd.schemaregistry.v1+json";
    std::string m = method;
    httplib::Result r = m == "GET"    ? http_->Get(path)
                        : m == "POST" ? http_->Post(path, text, type)
                        : m == "PUT"  ? http_->Put(path, text, type)
                                      : http_->Delete(path);
    EXPECT_TRUE(r) << method << " " << path;
    if (!r) return nullptr;
    EXPECT_EQ(r->status, expect_status) << method << " " << path << ": " << r->body;
    EXPECT_EQ(r->get_header_value("Content-Type"), type);
    return json::parse(r->body);
  }

  std::shared_ptr<MemoryRegistryLog> log_ = std::make_shared<MemoryRegistryLog>();
  std::shared_ptr<RegistryStore> store_;
  std::unique_ptr<RegistryServer> server_;
  std::unique_ptr<httplib::Client> http_;
};

TEST_F(RegistryServerTest, ServesTheConfluentApi) {
  EXPECT_EQ(Call("POST", "/subjects/t-value/versions", {{"schema", kV1}}, 200),
            json::parse(R"({"id":1})"));
  EXPECT_EQ(Call("POST", "/subjects/t-value/versions", {{"schema", kV2}}, 200)["id"], 2);
  json lookup = Call("POST", "/subjects/t-value", {{"schema", kV1}}, 200);
  EXPECT_EQ(lookup["version"], 1);
  EXPECT_EQ(lookup["id"], 1);
  EXPECT_EQ(lookup["subject"], "t-value");
  EXPECT_EQ(Call("GET", "/schemas/ids/2", nullptr, 200)["schema"], kV2);
  EXPECT_EQ(Call("GET", "/schemas/ids/2/schema", nullptr, 200), json::parse(kV2));
  EXPECT_EQ(Call("GET", "/subjects", nullptr, 200), json::parse(R"(["t-value"])"));
  EXPECT_EQ(Call("GET", "/subjects/t-value/versions", nullptr, 200), json::parse("[1,2]"));
  EXPECT_EQ(Call("GET", "/subjects/t-value/versions/latest", nullptr, 200)["version"], 2);
  EXPECT_EQ(Call("GET", "/schemas/ids/1/versions", nullptr, 200),
            json::parse(R"([{"subject":"t-value","version":1}])"));

  json incompatible = Call("POST", "/subjects/t-value/versions", {{"schema", kBreaking}}, 409);
  EXPECT_EQ(incompatible["error_code"], 409);
  EXPECT_EQ(Call("POST", "/subjects/t-value/versions", {{"schema", "{"}}, 422)["error_code"],
            42201);
  EXPECT_EQ(Call("POST", "/subjects/t-value/versions",
                 {{"schema", kV1}, {"schemaType", "PROTOBUF"}}, 422)["error_code"],
            42201);
  EXPECT_EQ(Call("POST", "/subjects/nope", {{"schema", kV1}}, 404)["error_code"], 40401);
  EXPECT_EQ(Call("POST", "/subjects/t-value", {{"schema", kBreaking}}, 404)["error_code"], 40403);
  EXPECT_EQ(Call("GET", "/schemas/ids/77", nullptr, 404)["error_code"], 40403);
  EXPECT_EQ(Call("GET", "/subjects/t-value/versions/9", nullptr, 404)["error_code"], 40402);
  EXPECT_EQ(Call("GET", "/subjects/t-value/versions/abc", nullptr, 422)["error_code"], 42202);

  json compat = Call("POST", "/compatibility/subjects/t-value/versions/latest?verbose=true",
                     {{"schema", kBreaking}}, 200);
  EXPECT_EQ(compat["is_compatible"], false);
  EXPECT_FALSE(compat["messages"].empty());
  EXPECT_EQ(Call("POST", "/compatibility/subjects/t-value/versions/1", {{"schema", kV2}},
                 200)["is_compatible"],
            true);

  EXPECT_EQ(Call("GET", "/config", nullptr, 200),
            json::parse(R"({"compatibilityLevel":"BACKWARD"})"));
  EXPECT_EQ(Call("PUT", "/config", {{"compatibility", "FULL"}}, 200),
            json::parse(R"({"compatibility":"FULL"})"));
  EXPECT_EQ(Call("PUT", "/config/t-value", {{"compatibility", "none"}}, 200)["compatibility"],
            "NONE");
  EXPECT_EQ(Call("GET", "/config/t-value", nullptr, 200)["compatibilityLevel"], "NONE");
  EXPECT_EQ(Call("GET", "/config/other", nullptr, 404)["error_code"], 40408);
  EXPECT_EQ(Call("GET", "/config/other?defaultToGlobal=true", nullptr, 200)["compatibilityLevel"],
            "FULL");
  EXPECT_EQ(Call("PUT", "/config", {{"compatibility", "bogus"}}, 422)["error_code"], 42203);

  EXPECT_EQ(Call("DELETE", "/subjects/t-value/versions/2", nullptr, 200), 2);
  EXPECT_EQ(Call("DELETE", "/subjects/t-value", nullptr, 200), json::parse("[1]"));
  EXPECT_EQ(Call("GET", "/subjects/t-value/versions", nullptr, 404)["error_code"], 40401);
  EXPECT_EQ(Call("DELETE", "/subjects/t-value?permanent=true", nullptr, 200), json::parse("[1,2]"));
  EXPECT_EQ(Call("GET", "/nothing/here", nullptr, 404)["error_code"], 404);
}

TEST_F(RegistryServerTest, HttpClientRegistersAndCaches) {
  auto client =
      HttpSchemaRegistryClient::Create(Opts("http://127.0.0.1:" + std::to_string(server_->port())));
  ASSERT_TRUE(client.ok()) << client.status().ToString();
  auto id = (*client)->Register("t-value", kV1);
  ASSERT_TRUE(id.ok()) << id.status().ToString();
  EXPECT_EQ(*id, 1);
  size_t records = log_->records.size();
  EXPECT_EQ(*(*client)->Register("t-value", kV1), 1);
  EXPECT_EQ(log_->records.size(), records);
  auto found = (*client)->Lookup("t-value", kV1);
  ASSERT_TRUE(found.ok());
  EXPECT_EQ(found->version, 1);
  EXPECT_EQ(*(*client)->SchemaById(1), kV1);
  auto bad = (*client)->Register("t-value", kBreaking);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(bad.status().message().find("409"), std::string::npos) << bad.status().ToString();
  EXPECT_EQ((*client)->Lookup("nope", kV1).status().code(), StatusCode::kNotFound);

  // The serializer registers through the client: subjects by TopicNameStrategy.
  avro::AvroEventSerializer serializer({"shop", false}, *client);
  auto table = std::make_shared<TableSchema>();
  table->database = "db";
  table->table = "t";
  ColumnSchema c;
  c.name = "id";
  c.type = LogicalType::kInt32;
  c.nullable = false;
  table->columns.push_back(c);
  table->key_columns = {0};
  ChangeEvent e;
  e.table = table;
  e.after = {Value::Int(1)};
  auto source = std::make_shared<SourceInfo>();
  source->connector = "mysql";
  e.source = source;
  std::optional<std::string> key;
  std::string value;
  ASSERT_TRUE(serializer.Key(e, &key).ok());
  ASSERT_TRUE(serializer.Value(e, 1, &value).ok());
  EXPECT_EQ(Call("GET", "/subjects", nullptr, 200),
            json::parse(R"(["shop.db.t-key","shop.db.t-value","t-value"])"));
}

// Regression (issue 9): a registry outage ended the pipeline although the docs said it was
// retried. The client retries with backoff and succeeds once the registry is back.
TEST_F(RegistryServerTest, ClientRetriesUntilTheRegistryIsBack) {
  int port = server_->port();
  server_->Stop();
  RegistryClientOptions o = Opts("http://127.0.0.1:" + std::to_string(port), "", "", 2000);
  o.retry_initial_ms = 100;
  auto client = HttpSchemaRegistryClient::Create(o);
  ASSERT_TRUE(client.ok());
  std::thread back([&] {
    std::this_thread::sleep_for(std::chrono::seconds(2));
    server_ = std::make_unique<RegistryServer>(store_);  // a restarted registry process
    ASSERT_TRUE(server_->Start("127.0.0.1:" + std::to_string(port)).ok());
  });
  auto id = (*client)->Register("t-value", kV1);
  back.join();
  ASSERT_TRUE(id.ok()) << id.status().ToString();
  EXPECT_GT(*id, 0);
}

TEST_F(RegistryServerTest, ClientReportsDownRegistryAsRetriable) {
  int port = server_->port();
  server_->Stop();
  RegistryClientOptions o = Opts("http://127.0.0.1:" + std::to_string(port), "", "", 2000);
  o.retry_for = std::chrono::milliseconds(1200);
  o.retry_initial_ms = 200;
  auto client = HttpSchemaRegistryClient::Create(o);
  ASSERT_TRUE(client.ok());
  const auto t0 = std::chrono::steady_clock::now();
  auto id = (*client)->Register("t-value", kV1);
  ASSERT_FALSE(id.ok());
  EXPECT_TRUE(id.status().retriable()) << id.status().ToString();
  EXPECT_GE(std::chrono::steady_clock::now() - t0, std::chrono::milliseconds(600))
      << "gave up without retrying";
  EXPECT_FALSE(HttpSchemaRegistryClient::Create(Opts("ftp://x")).ok());
  EXPECT_FALSE(HttpSchemaRegistryClient::Create(Opts("http://")).ok());
}

TEST(RegistryClientTest, SendsBasicAuthAndUsesThePathPrefix) {
  httplib::Server fake;
  std::string auth;
  std::string path;
  fake.Post(R"(/prefix/subjects/([^/]+)/versions)",
            [&](const httplib::Request& req, httplib::Response& res) {
              auth = req.get_header_value("Authorization");
              path = req.path;
              res.set_content(R"({"id":42})", "application/json");
            });
  int port = fake.bind_to_any_port("127.0.0.1");
  std::thread t([&] { fake.listen_after_bind(); });
  while (!fake.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  FormatConfig format;
  format.registry_url = "http://127.0.0.1:" + std::to_string(port) + "/prefix/";
  format.registry_user = "user";
  format.registry_password = "secret";
  Result<int32_t> id = Status::Internal("not run");
  {
    auto client = HttpSchemaRegistryClient::FromConfig(format);
    ASSERT_TRUE(client.ok());
    id = (*client)->Register("a:b", kV1);
  }  // closes the keep-alive connection, so stop() need not wait for it
  fake.stop();
  t.join();
  ASSERT_TRUE(id.ok()) << id.status().ToString();
  EXPECT_EQ(*id, 42);
  EXPECT_EQ(auth, "Basic dXNlcjpzZWNyZXQ=");         // base64("user:secret")
  EXPECT_EQ(path, "/prefix/subjects/a:b/versions");  // sent as a%3Ab
}

}  // namespace
}  // namespace vimur::registry

namespace vimur::registry {
namespace {

// An https registry: the client verifies it with registry_ca, and refuses it without.
TEST(RegistryClientTest, VerifiesHttpsWithTheConfiguredCa) {
  const std::string dir = std::string(VIMUR_TEST_DATA_DIR) + "/registry/";
  httplib::SSLServer tls((dir + "test_server.crt").c_str(), (dir + "test_server.key").c_str());
  ASSERT_TRUE(tls.is_valid());
  tls.Post(R"(/subjects/([^/]+)/versions)", [](const httplib::Request&, httplib::Response& res) {
    res.set_content(R"({"id":7})", "application/json");
  });
  int port = tls.bind_to_any_port("127.0.0.1");
  std::thread t([&] { tls.listen_after_bind(); });
  while (!tls.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));

  FormatConfig format;
  format.registry_url = "https://127.0.0.1:" + std::to_string(port);
  format.registry_ca = dir + "test_server.crt";
  Result<int32_t> id = Status::Internal("not run");
  {
    auto trusted = HttpSchemaRegistryClient::FromConfig(format);
    ASSERT_TRUE(trusted.ok()) << trusted.status().ToString();
    id = (*trusted)->Register("t-value", kV1);
  }

  format.registry_ca.clear();  // system CAs do not know the test certificate
  auto untrusted = HttpSchemaRegistryClient::FromConfig(format);
  ASSERT_TRUE(untrusted.ok());
  auto refused = (*untrusted)->Register("t-value", kV1);
  tls.stop();
  t.join();
  ASSERT_TRUE(id.ok()) << id.status().ToString();
  EXPECT_EQ(*id, 7);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.status().message().find("https://127.0.0.1"), std::string::npos)
      << refused.status().ToString();
}

// registry.access: HTTPS with basic auth; Vimur's client registers through it with the CA and
// the user, and is refused without them.
TEST(RegistryServerAccessTest, HttpsWithBasicAuth) {
  const std::string dir = ::testing::TempDir();
  const std::string cert = dir + "vimur-registry-cert.pem", key = dir + "vimur-registry-key.pem";
  const std::string make =
      "openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj "
      "/CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 -keyout " +
      key + " -out " + cert + " >/dev/null 2>&1";
  ASSERT_EQ(std::system(make.c_str()), 0) << make;
  auto store = std::make_shared<RegistryStore>(std::make_shared<MemoryRegistryLog>(),
                                               CompatibilityLevel::kBackward);
  ASSERT_TRUE(store->Load().ok());
  RegistryServer server(store, {cert, key, "schemas", "s3cret", ""});
  ASSERT_TRUE(server.Start("127.0.0.1:0").ok());
  const std::string url = "https://127.0.0.1:" + std::to_string(server.port());

  RegistryClientOptions o = Opts(url, "schemas", "s3cret", 2000);
  o.ca_file = cert;
  auto client = HttpSchemaRegistryClient::Create(o);
  ASSERT_TRUE(client.ok()) << client.status().ToString();
  auto id = (*client)->Register("t-value", kV1);
  ASSERT_TRUE(id.ok()) << id.status().ToString();
  EXPECT_EQ(*id, 1);

  RegistryClientOptions anonymous = Opts(url, "", "", 2000);
  anonymous.ca_file = cert;
  auto refused = (*HttpSchemaRegistryClient::Create(anonymous))->Lookup("t-value", kV1);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.status().message().find("401"), std::string::npos)
      << refused.status().ToString();
  server.Stop();
}

}  // namespace
}  // namespace vimur::registry
