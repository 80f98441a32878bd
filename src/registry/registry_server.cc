#include "registry/registry_server.h"

#include <chrono>
#include <nlohmann/json.hpp>

#include "core/logging.h"
#include "http/http_listener.h"

namespace vimur::registry {
namespace {

using Json = nlohmann::ordered_json;
constexpr const char* kContentType = "application/vnd.schemaregistry.v1+json";

void Reply(httplib::Response& res, int status, const Json& body) {
  res.status = status;
  res.set_content(body.dump(), kContentType);
}

void ReplyError(httplib::Response& res, const ApiError& e) {
  Reply(res, e.http_status, Json{{"error_code", e.error_code}, {"message", e.message}});
}

bool QueryFlag(const httplib::Request& req, const char* name) {
  return req.has_param(name) && req.get_param_value(name) == "true";
}

Json VersionJson(const SchemaVersion& v) {
  return Json{{"subject", v.subject}, {"version", v.version}, {"id", v.id}, {"schema", v.schema}};
}

// Parses the request body {"schema": "...", "schemaType": "AVRO"}; writes the error reply.
bool SchemaFromBody(const httplib::Request& req, httplib::Response& res, std::string* schema) {
  Json body;
  try {
    body = Json::parse(req.body);
  } catch (const nlohmann::json::exception& e) {
    ReplyError(res, {400, 400, std::string("Request body is not JSON: ") + e.what()});
    return false;
  }
  if (!body.is_object() || !body.contains("schema") || !body["schema"].is_string()) {
    ReplyError(res, {422, 42201, "Invalid schema: the body needs a \"schema\" string"});
    return false;
  }
  if (body.contains("schemaType") && body["schemaType"].is_string() &&
      body["schemaType"].get<std::string>() != "AVRO") {
    ReplyError(res, {422, 42201,
                     "Invalid schema: schemaType " + body["schemaType"].get<std::string>() +
                         " is not supported; this registry serves AVRO"});
    return false;
  }
  if (body.contains("references") && body["references"].is_array() && !body["references"].empty()) {
    ReplyError(res, {422, 42201, "Invalid schema: schema references are not supported"});
    return false;
  }
  *schema = body["schema"].get<std::string>();
  return true;
}

// Parses {"compatibility": "FULL"} (or "compatibilityLevel"); writes the error reply.
bool LevelFromBody(const httplib::Request& req, httplib::Response& res, std::string* level) {
  Json body;
  try {
    body = Json::parse(req.body);
  } catch (const nlohmann::json::exception& e) {
    ReplyError(res, {400, 400, std::string("Request body is not JSON: ") + e.what()});
    return false;
  }
  for (const char* key : {"compatibility", "compatibilityLevel"}) {
    if (body.is_object() && body.contains(key) && body[key].is_string()) {
      *level = body[key].get<std::string>();
      return true;
    }
  }
  ReplyError(res, {422, 42203, "Invalid compatibility level: the body needs \"compatibility\""});
  return false;
}

int32_t ParseId(const std::string& text) {
  try {
    size_t used = 0;
    long v = std::stol(text, &used);
    if (used != text.size() || v < 0 || v > INT32_MAX) return -1;
    return static_cast<int32_t>(v);
  } catch (const std::exception&) {
    return -1;
  }
}

void AddRoutes(httplib::Server& s, std::shared_ptr<RegistryStore> store) {
  s.Get("/",
        [](const httplib::Request&, httplib::Response& res) { Reply(res, 200, Json::object()); });
  s.Get("/schemas/types", [](const httplib::Request&, httplib::Response& res) {
    Reply(res, 200, Json::array({"AVRO"}));
  });
  s.Get("/mode", [](const httplib::Request&, httplib::Response& res) {
    Reply(res, 200, Json{{"mode", "READWRITE"}});
  });

  s.Post(R"(/subjects/([^/]+)/versions)",
         [store](const httplib::Request& req, httplib::Response& res) {
           std::string schema;
           if (!SchemaFromBody(req, res, &schema)) return;
           auto r = store->Register(req.matches[1], schema);
           if (!r.ok()) return ReplyError(res, r.error());
           Reply(res, 200, Json{{"id", r.value().id}});
         });
  s.Post(R"(/subjects/([^/]+))", [store](const httplib::Request& req, httplib::Response& res) {
    std::string schema;
    if (!SchemaFromBody(req, res, &schema)) return;
    auto r = store->Lookup(req.matches[1], schema, QueryFlag(req, "deleted"));
    if (!r.ok()) return ReplyError(res, r.error());
    Reply(res, 200, VersionJson(r.value()));
  });

  s.Get(R"(/schemas/ids/(\d+))", [store](const httplib::Request& req, httplib::Response& res) {
    auto r = store->SchemaById(ParseId(req.matches[1]));
    if (!r.ok()) return ReplyError(res, r.error());
    Reply(res, 200, Json{{"schema", r.value().schema}});
  });
  s.Get(R"(/schemas/ids/(\d+)/schema)",
        [store](const httplib::Request& req, httplib::Response& res) {
          auto r = store->SchemaById(ParseId(req.matches[1]));
          if (!r.ok()) return ReplyError(res, r.error());
          res.status = 200;
          res.set_content(r.value().schema, kContentType);
        });
  s.Get(R"(/schemas/ids/(\d+)/(subjects|versions))",
        [store](const httplib::Request& req, httplib::Response& res) {
          auto r = store->UsesOfId(ParseId(req.matches[1]));
          if (!r.ok()) return ReplyError(res, r.error());
          Json out = Json::array();
          for (const auto& [subject, version] : r.value()) {
            if (req.matches[2] == "subjects") {
              if (out.empty() || out.back() != subject) out.push_back(subject);
            } else {
              out.push_back(Json{{"subject", subject}, {"version", version}});
            }
          }
          Reply(res, 200, out);
        });

  s.Get("/subjects", [store](const httplib::Request& req, httplib::Response& res) {
    Reply(res, 200, Json(store->Subjects(QueryFlag(req, "deleted"))));
  });
  s.Get(R"(/subjects/([^/]+)/versions)",
        [store](const httplib::Request& req, httplib::Response& res) {
          auto r = store->Versions(req.matches[1], QueryFlag(req, "deleted"));
          if (!r.ok()) return ReplyError(res, r.error());
          Reply(res, 200, Json(r.value()));
        });
  s.Get(R"(/subjects/([^/]+)/versions/([^/]+))",
        [store](const httplib::Request& req, httplib::Response& res) {
          auto r = store->Version(req.matches[1], req.matches[2], QueryFlag(req, "deleted"));
          if (!r.ok()) return ReplyError(res, r.error());
          Reply(res, 200, VersionJson(r.value()));
        });
  s.Get(R"(/subjects/([^/]+)/versions/([^/]+)/schema)",
        [store](const httplib::Request& req, httplib::Response& res) {
          auto r = store->Version(req.matches[1], req.matches[2], QueryFlag(req, "deleted"));
          if (!r.ok()) return ReplyError(res, r.error());
          res.status = 200;
          res.set_content(r.value().schema, kContentType);
        });
  s.Delete(R"(/subjects/([^/]+))", [store](const httplib::Request& req, httplib::Response& res) {
    auto r = store->DeleteSubject(req.matches[1], QueryFlag(req, "permanent"));
    if (!r.ok()) return ReplyError(res, r.error());
    Reply(res, 200, Json(r.value()));
  });
  s.Delete(R"(/subjects/([^/]+)/versions/([^/]+))", [store](const httplib::Request& req,
                                                            httplib::Response& res) {
    auto r = store->DeleteVersion(req.matches[1], req.matches[2], QueryFlag(req, "permanent"));
    if (!r.ok()) return ReplyError(res, r.error());
    Reply(res, 200, Json(r.value()));
  });

  auto compatibility = [store](const httplib::Request& req, httplib::Response& res,
                               const std::string& version) {
    std::string schema;
    if (!SchemaFromBody(req, res, &schema)) return;
    auto r = store->TestCompatibility(req.matches[1], version, schema);
    if (!r.ok()) return ReplyError(res, r.error());
    Json out{{"is_compatible", r.value().compatible}};
    if (QueryFlag(req, "verbose")) out["messages"] = r.value().messages;
    Reply(res, 200, out);
  };
  s.Post(R"(/compatibility/subjects/([^/]+)/versions/([^/]+))",
         [compatibility](const httplib::Request& req, httplib::Response& res) {
           compatibility(req, res, req.matches[2]);
         });
  s.Post(R"(/compatibility/subjects/([^/]+)/versions)",
         [compatibility](const httplib::Request& req, httplib::Response& res) {
           compatibility(req, res, "latest");
         });

  auto get_config = [store](const httplib::Request& req, httplib::Response& res,
                            const std::string& subject) {
    auto r = store->GetConfig(subject, QueryFlag(req, "defaultToGlobal"));
    if (!r.ok()) return ReplyError(res, r.error());
    Reply(res, 200, Json{{"compatibilityLevel", CompatibilityLevelName(r.value())}});
  };
  auto put_config = [store](const httplib::Request& req, httplib::Response& res,
                            const std::string& subject) {
    std::string level;
    if (!LevelFromBody(req, res, &level)) return;
    auto r = store->SetConfig(subject, level);
    if (!r.ok()) return ReplyError(res, r.error());
    Reply(res, 200, Json{{"compatibility", CompatibilityLevelName(r.value())}});
  };
  auto delete_config = [store](const httplib::Request& req, httplib::Response& res,
                               const std::string& subject) {
    auto r = store->DeleteConfig(subject);
    if (!r.ok()) return ReplyError(res, r.error());
    Reply(res, 200, Json{{"compatibilityLevel", CompatibilityLevelName(r.value())}});
  };
  s.Get("/config", [get_config](const httplib::Request& req, httplib::Response& res) {
    get_config(req, res, "");
  });
  s.Put("/config", [put_config](const httplib::Request& req, httplib::Response& res) {
    put_config(req, res, "");
  });
  s.Delete("/config", [delete_config](const httplib::Request& req, httplib::Response& res) {
    delete_config(req, res, "");
  });
  s.Get(R"(/config/([^/]+))", [get_config](const httplib::Request& req, httplib::Response& res) {
    get_config(req, res, req.matches[1]);
  });
  s.Put(R"(/config/([^/]+))", [put_config](const httplib::Request& req, httplib::Response& res) {
    put_config(req, res, req.matches[1]);
  });
  s.Delete(R"(/config/([^/]+))",
           [delete_config](const httplib::Request& req, httplib::Response& res) {
             delete_config(req, res, req.matches[1]);
           });

  s.set_error_handler([](const httplib::Request& req, httplib::Response& res) {
    if (!res.body.empty()) return;  // a handler already wrote the error
    Reply(res, res.status,
          Json{{"error_code", res.status},
               {"message",
                "HTTP " + std::to_string(res.status) + " " + req.method + " " + req.path}});
  });
  s.set_exception_handler(
      [](const httplib::Request&, httplib::Response& res, std::exception_ptr ep) {
        std::string what = "internal error";
        try {
          if (ep) std::rethrow_exception(ep);
        } catch (const std::exception& e) {
          what = e.what();
        } catch (...) {
        }
        ReplyError(res, {500, 50001, what});
      });
}

}  // namespace

struct RegistryServer::Impl {
  explicit Impl(ListenerAccessConfig access) : listener("registry", std::move(access)) {}
  http::HttpListener listener;
  std::shared_ptr<RegistryStore> store;
};

RegistryServer::RegistryServer(std::shared_ptr<RegistryStore> store, ListenerAccessConfig access)
    : impl_(std::make_unique<Impl>(std::move(access))) {
  impl_->store = std::move(store);
  AddRoutes(impl_->listener.server(), impl_->store);
}

RegistryServer::~RegistryServer() { Stop(); }

Status RegistryServer::Start(const std::string& listen) {
  VIMUR_ASSIGN_OR_RETURN(http::ListenAddress address,
                         http::ParseListenAddress(listen, "registry.listen"));
  const http::HttpListener& l = impl_->listener;
  if (!http::IsLoopbackHost(address.host) && (!l.tls() || !l.authenticates())) {
    LOG_WARN << "registry.listen " << listen << " serves other hosts without "
             << (l.tls() ? "authentication" : "TLS")
             << ": set registry.access (tls_cert, tls_key, username, password_file)";
  }
  return impl_->listener.Start(listen, "registry.listen");
}

int RegistryServer::port() const { return impl_->listener.port(); }

void RegistryServer::Stop() {
  if (impl_) impl_->listener.Stop();
}

}  // namespace vimur::registry
