"""Load codes: what the loaders (busctl.loading) and protoc report while reading the repo.

They have no check of their own (the loaders find them) and cannot be changed by bus.yaml: a file
that cannot be read as its format requires leaves nothing to check.
"""

from __future__ import annotations

from busctl.rules.base import LoadCode, register


@register
class YamlSyntax(LoadCode):
    """A bus file is valid YAML, one document per file.

    **Bad**:  `partitions: [12` (an unclosed flow list), or two documents split by `---`
    **Good**: `partitions: 12`
    """

    id = "BUS001"
    name = "yaml-syntax"


@register
class DuplicateKey(LoadCode):
    """A mapping names each key once (YAML parsers silently keep the last one; busctl refuses).

    **Bad**:  `partitions: 6` and, further down, `partitions: 12`
    **Good**: one `partitions: 12`
    """

    id = "BUS002"
    name = "duplicate-key"


@register
class MissingField(LoadCode):
    """Every required field is present.

    **Bad**:  a topic file without `owner:`
    **Good**: `owner: billing`
    """

    id = "BUS003"
    name = "missing-field"


@register
class UnknownField(LoadCode):
    """Every field is one the file format defines (the hint suggests the closest).

    **Bad**:  `partition: 12`
    **Good**: `partitions: 12`
    """

    id = "BUS004"
    name = "unknown-field"


@register
class InvalidValue(LoadCode):
    """Every value has the type and range its field requires.

    Numbers beyond what Kafka or Prometheus can hold are refused too: partitions above 2147483647
    (int32), replication factors above 32767 (int16), lag `max_messages` above 2^53, `max_seconds`
    above 292 years, any number of more than 30 digits. `schemas.root` must lie inside the repo.

    **Bad**:  `partitions: "12"`, `lifecycle: delted`
    **Good**: `partitions: 12`, `lifecycle: deleted`
    """

    id = "BUS005"
    name = "invalid-value"


@register
class EnvOutsideClusters(LoadCode):
    """`${VAR}` is used only under bus.yaml `clusters` (elsewhere it would be taken literally).

    **Bad**:  `description: "owned by ${TEAM}"` in a topic file
    **Good**: `bootstrap_servers: ${BUS_PROD_BOOTSTRAP}` under `clusters.prod`
    """

    id = "BUS006"
    name = "env-outside-cluster"


@register
class Unreadable(LoadCode):
    """A bus file is readable UTF-8 text.

    Binary files and invalid bytes are reported at their line and column; a file or directory that
    cannot be read (permission denied, I/O error) at its path.

    **Bad**:  a topic file saved as UTF-16, or `chmod 000 topics/billing`
    **Good**: UTF-8 files busctl's user can read
    """

    id = "BUS007"
    name = "unreadable"


@register
class FileTooLarge(LoadCode):
    """A bus file is at most 1 MiB.

    **Bad**:  a 40 MB topic file (generated, or a log pasted by mistake)
    **Good**: one topic per file, a few hundred bytes
    """

    id = "BUS008"
    name = "file-too-large"


@register
class SymlinkEscape(LoadCode):
    """A symlink in the repo points inside it (one leaving the repo is never followed).

    **Bad**:  `topics/billing/x.yaml -> /etc/passwd`
    **Good**: the file itself, or a symlink to another file in the repo
    """

    id = "BUS009"
    name = "symlink-escape"


@register
class DocumentTooLarge(LoadCode):
    """A document expands to at most 200,000 values and 50 levels (no alias bombs, no recursive aliases).

    **Bad**:  `a: &a [x, x, x]`, `b: &b [*a, *a, *a]`, ... nine levels deep
    **Good**: the values written out, without anchors that multiply them
    """

    id = "BUS010"
    name = "document-too-large"


@register
class UnsupportedYaml(LoadCode):
    """A bus file uses plain YAML: no merge keys (`<<`), no language tags such as `!!python/object`.

    **Bad**:  `<<: *defaults`
    **Good**: the fields written out (explicit beats clever in a reviewed file)
    """

    id = "BUS011"
    name = "unsupported-yaml"


@register
class MissingFile(LoadCode):
    """The repo has a teams.yaml: every topic needs an owner team.

    **Bad**:  a repo with bus.yaml and topics/ only
    **Good**: `teams.yaml` with `teams: {billing: {chat: "#billing"}}`
    """

    id = "BUS012"
    name = "missing-file"


@register
class NotARegularFile(LoadCode):
    """Bus files and schema entries are regular files or directories, never pipes, sockets or devices.

    Checked anywhere under `topics/` or the schema module, and for bus.yaml and teams.yaml; such a
    path is never opened (reading it could block forever).

    **Bad**:  `mkfifo topics/billing/x.yaml`
    **Good**: a regular file
    """

    id = "BUS013"
    name = "not-a-regular-file"


@register
class SymlinkUnfollowable(LoadCode):
    """A symlink can be followed: no loops, no missing target, no directory link to an enclosing one.

    **Bad**:  `ln -s loop loop`, a link to a deleted file
    **Good**: a link to an existing file in the repo, or the file itself
    """

    id = "BUS014"
    name = "symlink-unfollowable"


@register
class ProtoSyntax(LoadCode):
    """Every .proto file of the schema module compiles (protoc's message at its file:line:col).

    **Bad**:  `message InvoiceCreated { string id = 1 }` (no `;`)
    **Good**: `message InvoiceCreated { string id = 1; }`
    """

    id = "BUS301"
    name = "proto-syntax"
    locked = "a schema that does not compile leaves its topics without a message to check"
