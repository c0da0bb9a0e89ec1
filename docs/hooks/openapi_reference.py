"""MkDocs hook: turn ``<!-- openapi: final/chatsite/openapi.json -->`` into an API reference.

MkDocs runs this file while it builds the site (see ``hooks:`` in mkdocs.yml).
The marker becomes Markdown tables, made from the OpenAPI 3.1 document at
build time:

- one section per operation (``GET /api/boards``): what it does, a table of
  its parameters and a table of its responses, each linking to its schema;
- one section per object schema (``Board``, ``Error``...): a table of its
  fields, with their types, whether they are always there, and what they mean
  (small schemas, such as an id or a time, are written out where they are used).

No network and no JavaScript: the page is plain HTML, like the rest of the
site, and it shows exactly what the document says. The document itself is
held to the truth by final/tests/test_openapi.py and tests/test_22_fourchan_api.py,
so this page is too.
A marker naming a file that does not exist, or a "$ref" that points nowhere,
fails the build.
"""

import json
import re
from pathlib import Path

from mkdocs.exceptions import PluginError

MARKER = re.compile(r"^<!--\s*openapi:\s*(?P<path>\S+)\s*-->[ \t]*$", re.M)
METHODS = ("get", "put", "post", "delete", "patch", "head", "options", "trace")


def on_page_markdown(markdown, page, config, files):
    root = Path(config.config_file_path).parent

    def replace(match):
        path = root / match["path"]
        if not path.is_file():
            raise PluginError(f"{page.file.src_uri}: <!-- openapi: {match['path']} -->: no such file")
        try:
            return Reference(json.loads(path.read_text(encoding="utf-8"))).markdown()
        except (KeyError, ValueError) as error:
            raise PluginError(f"{page.file.src_uri}: {match['path']}: {error}") from error

    return MARKER.sub(replace, markdown)


class Reference:
    """The Markdown of one OpenAPI document."""

    def __init__(self, document):
        self.document = document

    def markdown(self):
        parts = []
        for path, item in self.document["paths"].items():
            for method in METHODS:
                if method in item:
                    parts.append(self.operation(method, path, item[method]))
        parts.append("### Schemas\n\nThe shapes of the JSON answers above.")
        for name, schema in self.document.get("components", {}).get("schemas", {}).items():
            # Small schemas (an id, a time) are written out where they are used.
            if "properties" in schema:
                parts.append(self.schema(name, schema))
        return "\n\n".join(parts)

    # --- operations ------------------------------------------------------------------

    def operation(self, method, path, operation):
        lines = [f"### `{method.upper()} {path}` {{#{anchor(method, path)}}}", ""]
        lines.append(operation.get("summary", ""))
        if operation.get("description"):
            lines += ["", operation["description"]]
        parameters = [self.resolve(parameter) for parameter in operation.get("parameters", [])]
        if parameters:
            lines += ["", "| Parameter | In | Type | Required | Meaning |", "|---|---|---|---|---|"]
            for parameter in parameters:
                lines.append(
                    row(
                        f"`{parameter['name']}`",
                        parameter["in"],
                        self.type_of(parameter.get("schema", {})),
                        "yes" if parameter.get("required") else "no",
                        parameter.get("description", ""),
                    )
                )
        lines += ["", "| Status | When | Body |", "|---|---|---|"]
        for status, response in operation["responses"].items():
            response = self.resolve(response)
            body = ", ".join(
                f"`{media}`: {self.type_of(content.get('schema', {}))}"
                for media, content in response.get("content", {}).items()
            )
            when = response.get("description", "")
            for header in response.get("headers", {}):
                when += f" Header `{header}`."
            lines.append(row(f"**{status}**", when, body or "none"))
        return "\n".join(lines)

    # --- schemas ---------------------------------------------------------------------

    def schema(self, name, schema):
        lines = [f"#### {name} {{#{anchor('schema', name)}}}", ""]
        if schema.get("description"):
            lines += [schema["description"], ""]
        lines += ["| Field | Type | Always there | Meaning |", "|---|---|---|---|"]
        required = set(schema.get("required", []))
        for field, field_schema in schema["properties"].items():
            meaning = field_schema.get("description") or self.resolve(field_schema).get("description", "")
            always = "yes" if field in required else "no"
            lines.append(row(f"`{field}`", self.type_of(field_schema), always, meaning))
        if schema.get("additionalProperties") is False:
            lines += ["", "No other fields."]
        return "\n".join(lines)

    def type_of(self, schema):
        """A schema as a few words of Markdown: "integer, 1 to 2147483647", "array of [Board](#...)"."""
        if "$ref" in schema:
            name = schema["$ref"].rsplit("/", 1)[-1]
            target = self.resolve(schema)
            if "properties" in target:
                return f"[{name}](#{anchor('schema', name)})"
            return self.type_of(target)
        if "anyOf" in schema or "oneOf" in schema:
            return " or ".join(self.type_of(option) for option in schema.get("anyOf", schema.get("oneOf")))
        kind = schema.get("type", "any")
        if isinstance(kind, list):  # OpenAPI 3.1 allows several: ["integer", "null"]
            kind = " or ".join(kind)
        if kind == "array":
            return f"array of {self.type_of(schema.get('items', {}))}"
        words = [kind]
        if "format" in schema:
            words.append(f"({schema['format']})")
        if "enum" in schema:
            words.append("one of " + ", ".join(f"`{value}`" for value in schema["enum"]))
        if "minimum" in schema and "maximum" in schema:
            words.append(f"{schema['minimum']} to {schema['maximum']}")
        elif "minimum" in schema:
            words.append(f"from {schema['minimum']}")
        if "default" in schema:
            words.append(f"(default {schema['default']})")
        return " ".join(words)

    def resolve(self, item):
        """Follow "$ref": "#/components/..." inside the document."""
        while "$ref" in item:
            ref = item["$ref"]
            if not ref.startswith("#/"):
                raise ValueError(f"{ref}: only references inside the document are supported")
            item = self.document
            for key in ref[2:].split("/"):
                if key not in item:
                    raise KeyError(f"{ref} points nowhere")
                item = item[key]
        return item


def anchor(*words):
    """An id for a heading, e.g. anchor("get", "/api/boards/{slug}") -> "get-api-boards-slug"."""
    return "-".join(part for word in words for part in re.findall(r"[a-z0-9]+", word.lower()))


def row(*cells):
    """One row of a Markdown table (a | inside a cell would end the cell early)."""
    return "| " + " | ".join(str(cell).replace("|", "\\|").replace("\n", " ") for cell in cells) + " |"
