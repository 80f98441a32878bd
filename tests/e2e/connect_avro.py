"""The Avro schema that Confluent's AvroConverter registers for a Kafka Connect schema, derived
the way its AvroData.fromConnectSchema does with the converter's defaults
(connect.meta.data=true, enhanced Avro schema support off), from a Connect schema in the JSON
converter's form (`{"type": "struct", "fields": [...], "optional": ..., "name": ...}`).

Confluent's converter is not on Maven Central, so the reference Avro schemas of the Debezium
proof are derived here from the Connect schemas captured from Debezium
(tests/data/debezium/README.md). The rules:
  - int8/int16 -> "int" with "connect.type"; int32 -> int; int64 -> long; float32 -> float;
    float64 -> double; boolean, string, bytes as themselves;
  - org.apache.kafka.connect.data.Decimal -> bytes with logicalType decimal, precision
    (connect.decimal.precision, default 64) and scale;
  - a struct -> a record named after the schema (namespace: up to the last dot), defined once
    and referred to by name afterwards;
  - on every non-union schema: connect.doc, connect.version, connect.parameters,
    connect.default (the schema's default), connect.name, connect.type;
  - optional -> ["null", T], or [T, "null"] when the schema has a default;
  - a record field's default: the schema's default, else null when optional.
canonical() turns any Avro schema JSON into a form where two schemas that mean the same
compare equal with ==: full names, no namespaces, a named type defined at its first use and
referred to by full name afterwards."""
import base64
import copy

DECIMAL = "org.apache.kafka.connect.data.Decimal"
PRIMITIVE = {"int32": "int", "int64": "long", "float": "float", "float32": "float",
             "double": "double", "float64": "double", "boolean": "boolean",
             "string": "string", "bytes": "bytes", "int8": "int", "int16": "int"}


def _avro_default(schema, value):
    """A Connect default (JSON converter form) as Avro's JSON default."""
    if schema["type"] == "bytes":
        # The JSON converter writes bytes (a Decimal's unscaled value too) as base64; Avro's
        # JSON form of bytes is a string of ISO-8859-1 code points.
        return base64.b64decode(value).decode("latin-1")
    return value


def from_connect(schema, defined=None):
    """The Avro schema (JSON form) of a Connect schema; `defined`: record names already
    defined in the enclosing schema (referred to by name)."""
    defined = set() if defined is None else defined
    name = schema.get("name")
    t = schema["type"]
    if t == "struct":
        full = name or "io.confluent.connect.avro.ConnectDefault"
        if full in defined:
            base = full
        else:
            defined.add(full)
            namespace, _, short = full.rpartition(".")
            base = {"type": "record", "name": short}
            if namespace:
                base["namespace"] = namespace
            fields = []
            for f in schema["fields"]:
                field = {"name": f["field"], "type": from_connect(f, defined)}
                if "default" in f:
                    field["default"] = _avro_default(f, f["default"])
                elif f.get("optional"):
                    field["default"] = None
                fields.append(field)
            base["fields"] = fields
    else:
        base = {"type": PRIMITIVE[t]}
        if name == DECIMAL:
            params = schema.get("parameters", {})
            base["logicalType"] = "decimal"
            base["precision"] = int(params.get("connect.decimal.precision", "64"))
            base["scale"] = int(params.get("scale", "0"))
    if isinstance(base, dict):
        if "doc" in schema:
            base["connect.doc"] = schema["doc"]
        if "version" in schema:
            base["connect.version"] = schema["version"]
        if schema.get("parameters"):
            base["connect.parameters"] = dict(schema["parameters"])
        if "default" in schema:
            base["connect.default"] = _avro_default(schema, schema["default"])
        if name is not None:
            base["connect.name"] = name
        if t in ("int8", "int16"):
            base["connect.type"] = t
    if schema.get("optional"):
        return [base, "null"] if "default" in schema else ["null", base]
    return base


def canonical(schema, namespace="", defined=None):
    """A comparable form of an Avro schema in JSON form (see the module's doc)."""
    defined = set() if defined is None else defined
    if isinstance(schema, list):
        return [canonical(s, namespace, defined) for s in schema]
    if isinstance(schema, str):
        if schema in ("null", "boolean", "int", "long", "float", "double", "bytes", "string"):
            return schema
        return schema if "." in schema or not namespace else f"{namespace}.{schema}"
    schema = copy.deepcopy(schema)
    t = schema.get("type")
    if t in ("record", "enum", "fixed", "error"):
        name = schema["name"]
        ns = schema.pop("namespace", None)
        if "." not in name:
            ns = namespace if ns is None else ns
            name = f"{ns}.{name}" if ns else name
        inner_ns = name.rpartition(".")[0]
        if name in defined:
            return name
        defined.add(name)
        schema["name"] = name
        if t in ("record", "error"):
            fields = []
            for f in schema["fields"]:
                f = dict(f)
                f["type"] = canonical(f["type"], inner_ns, defined)
                fields.append(f)
            schema["fields"] = fields
        return schema
    if isinstance(t, (list, dict)) or (isinstance(t, str) and len(schema) == 1):
        # {"type": "int"} is "int"; {"type": {...}} is the inner schema.
        return canonical(t, namespace, defined)
    if t == "array":
        schema["items"] = canonical(schema["items"], namespace, defined)
    if t == "map":
        schema["values"] = canonical(schema["values"], namespace, defined)
    return schema


def avro_diff(want, got, path="schema"):
    """Every difference between two canonical Avro schemas, field by field."""
    out = []
    if isinstance(want, dict) and isinstance(got, dict):
        for k in sorted(set(want) | set(got)):
            if k == "fields":
                continue
            if k not in got:
                out.append(f"{path}: missing {k!r} (reference: {want[k]!r:.80})")
            elif k not in want:
                out.append(f"{path}: extra {k!r} = {got[k]!r:.80}")
            else:
                out += avro_diff(want[k], got[k], f"{path}.{k}")
        if "fields" in want or "fields" in got:
            wf = [f["name"] for f in want.get("fields", [])]
            gf = [f["name"] for f in got.get("fields", [])]
            if wf != gf:
                out.append(f"{path}: fields {gf}, reference: {wf}")
            by_name = {f["name"]: f for f in got.get("fields", [])}
            for f in want.get("fields", []):
                g = by_name.get(f["name"])
                if g is None:
                    continue
                for k in sorted(set(f) | set(g)):
                    if k == "name":
                        continue
                    if k not in g:
                        out.append(f"{path}.{f['name']}: missing {k!r} (reference:"
                                   f" {f[k]!r:.80})")
                    elif k not in f:
                        out.append(f"{path}.{f['name']}: extra {k!r} = {g[k]!r:.80}")
                    else:
                        out += avro_diff(f[k], g[k], f"{path}.{f['name']}.{k}")
    elif isinstance(want, list) and isinstance(got, list) and len(want) == len(got):
        for i, (w, g) in enumerate(zip(want, got)):
            out += avro_diff(w, g, f"{path}[{i}]")
    elif want != got:
        out.append(f"{path}: {got!r:.120}, reference: {want!r:.120}")
    return out
