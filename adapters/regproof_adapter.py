"""regproof's adapter kit for Python: the process protocol of docs/protocol.md, standard library only.

An adapter written with it supplies who it is and two functions, one for expression cases and one
for training cases; the kit does the rest:

    from regproof_adapter import Declined, log, serve

    def run_expr(case):    # the case as a dict, numbers as floats (NaN, ±inf and -0.0 included)
        ...                # return {'value': {'shape': [...], 'data': [...]}, 'grads': {...}}

    def run_train(case):
        ...                # return {'losses': [...], 'grads': [...], 'params': [...]}

    serve(name='mylib', version='1.0', dtype='float64',
          capabilities=['op:add', ...], expr=run_expr, train=run_train)

- The handshake: checks the protocol and case versions and answers with the name, version, dtype
  and capabilities given to serve.
- Ids: every reply echoes its request's id.
- Numbers: NaN, Infinity, -Infinity and -0 arrive as floats and leave as the protocol's strings.
- Errors: an exception in a case function becomes an `ok: false` reply with its type and message,
  its traceback goes to stderr, and the adapter keeps running.
- Declining: raise Declined('why') for a case the adapter cannot run although it declares every
  capability the case uses (a shape it does not handle, say); regproof counts it as not applicable.
- Logging: log(...) writes to stderr. From the call to serve on, print() and anything else written
  to sys.stdout go to stderr too, so a stray print cannot break the conversation.

Put this file next to your adapter (or on PYTHONPATH): `node_modules/regproof/adapters/` has it.
"""
import json
import math
import re
import sys
import traceback

PROTOCOL = 1
CASE_VERSION = 1

_SPECIAL = {'NaN': math.nan, 'Infinity': math.inf, '-Infinity': -math.inf, '-0': -0.0}


class Declined(Exception):
    """Raised from a case function: the adapter declines this one case, with the reason."""


def log(*args):
    """print() to stderr, flushed: regproof quotes the last lines of stderr when a request fails."""
    print(*args, file=sys.stderr, flush=True)


def decode(value):
    """A request as parsed JSON, with the strings that stand for NaN, ±Infinity and -0 made floats."""
    if isinstance(value, str):
        return _SPECIAL.get(value, value)
    if isinstance(value, list):
        return [decode(v) for v in value]
    if isinstance(value, dict):
        return {k: decode(v) for k, v in value.items()}
    return value


def encode(value):
    """A reply made JSON-safe: NaN, ±Infinity and -0 become the protocol's strings."""
    if isinstance(value, bool) or value is None or isinstance(value, (int, str)):
        return value
    if isinstance(value, float):
        if math.isnan(value):
            return 'NaN'
        if math.isinf(value):
            return 'Infinity' if value > 0 else '-Infinity'
        if value == 0 and math.copysign(1.0, value) < 0:
            return '-0'
        return value
    if isinstance(value, (list, tuple)):
        return [encode(v) for v in value]
    if isinstance(value, dict):
        return {str(k): encode(v) for k, v in value.items()}
    raise TypeError(f'cannot send a {type(value).__name__} in a reply: convert it to floats and lists first (tensors: .tolist())')


def _handshake(request, identity):
    if request.get('protocol') != PROTOCOL or request.get('caseVersion') != CASE_VERSION:
        raise ValueError(f"this adapter speaks protocol {PROTOCOL} and reads case version {CASE_VERSION}, "
                         f"the runner asked for protocol {request.get('protocol')!r}, case version {request.get('caseVersion')!r}")
    return dict(identity, protocol=PROTOCOL)


def _run_case(request, handlers):
    kind = request.get('type')
    if kind not in handlers:
        raise ValueError(f'unknown request type {kind!r}')
    if handlers[kind] is None:
        raise Declined(f'this adapter runs no {kind} cases')
    case = request['case']
    if case.get('version') != CASE_VERSION:
        raise ValueError(f"this adapter reads case version {CASE_VERSION}, got {case.get('version')!r}")
    return handlers[kind](case)


# Special numbers are found in the JSON text: a request without the strings "NaN", "Infinity",
# "-Infinity" or "-0" holds none, and a reply's json.dumps text without NaN, Infinity or -0.0 holds
# none. When one is there, only those tokens are rewritten, outside JSON strings (a string is
# matched whole, so a key or message holding the word is left alone): walking every number in
# Python costs as much as running a small case.
_SPECIAL_STRINGS = tuple(f'"{s}"' for s in _SPECIAL)
# A JSON string: runs of plain characters between escapes, which the regex engine scans faster than
# one alternative per character.
_STRING = r'"[^"\\]*(?:\\.[^"\\]*)*"'
# A special string as a value (a key is followed by a colon), or any other string, kept as it is.
_REQUEST_TOKEN = re.compile(r'"(NaN|Infinity|-Infinity|-0)"(?!\s*:)|' + _STRING)
_REQUEST_LITERAL = {'NaN': 'NaN', 'Infinity': 'Infinity', '-Infinity': '-Infinity', '-0': '-0.0'}
# A string, kept as it is, or a number json.dumps spells NaN, Infinity, -Infinity or -0.0.
_REPLY_TOKEN = re.compile(_STRING + r'|(-?Infinity|NaN|-0\.0(?![\d.eE]))')
_REPLY_STRING = {'NaN': '"NaN"', 'Infinity': '"Infinity"', '-Infinity': '"-Infinity"', '-0.0': '"-0"'}


def _request_literal(match):
    special = match.group(1)
    return match.group(0) if special is None else _REQUEST_LITERAL[special]


def _reply_string(match):
    special = match.group(1)
    return match.group(0) if special is None else _REPLY_STRING[special]


def _request(line):
    """The request parsed, its special-number strings as floats (what decode() makes of them)."""
    if not any(s in line for s in _SPECIAL_STRINGS):
        return json.loads(line)
    try:
        return json.loads(_REQUEST_TOKEN.sub(_request_literal, line))
    except ValueError:
        return decode(json.loads(line))


def _reply_line(reply):
    """The reply as one line of JSON, special numbers as the protocol's strings (what encode() makes)."""
    try:
        text = json.dumps(reply)
    except (ValueError, TypeError):
        return json.dumps(encode(reply), allow_nan=False)
    if 'NaN' in text or 'Infinity' in text or '-0.0' in text:
        return _REPLY_TOKEN.sub(_reply_string, text)
    return text


def _answer(line, identity, handlers):
    """The reply to one request line, as one line of JSON."""
    request = {}
    try:
        request = _request(line)
        if not isinstance(request, dict):
            raise ValueError(f'a request must be a JSON object, got {line.strip()[:80]!r}')
        if request.get('type') == 'handshake':
            result = _handshake(request, identity)
        else:
            result = _run_case(request, handlers)
        return _reply_line({'id': request.get('id'), 'ok': True, 'result': result})
    except Declined as d:
        return json.dumps({'id': request.get('id'), 'declined': str(d) or 'declined'}, allow_nan=False)
    except Exception as e:
        log(traceback.format_exc())
        return json.dumps({'id': request.get('id'), 'ok': False, 'error': f'{type(e).__name__}: {e}'}, allow_nan=False)


def serve(*, name, version, dtype, capabilities, expr=None, train=None, stdin=None, stdout=None):
    """Answers regproof's requests, one JSON line each, until stdin closes.

    expr and train take a case (a dict) and return its result; either may be None, and its cases are
    then declined. capabilities lists what the adapter implements (docs/protocol.md, Capabilities).
    """
    if dtype not in ('float64', 'float32'):
        raise ValueError(f"dtype must be 'float64' or 'float32', got {dtype!r}")
    capabilities = list(capabilities)
    if not all(isinstance(c, str) for c in capabilities):
        raise TypeError(f'capabilities must be strings, got {capabilities!r}')
    identity = {'name': str(name), 'version': str(version), 'dtype': dtype, 'capabilities': capabilities}
    handlers = {'expr': expr, 'train': train}
    stdin = sys.stdin if stdin is None else stdin
    previous = sys.stdout
    replies = previous if stdout is None else stdout
    # Replies alone on stdout: whatever the adapter or its library prints goes to stderr.
    sys.stdout = sys.stderr
    try:
        for line in stdin:
            if line.strip():
                replies.write(_answer(line, identity, handlers) + '\n')
                replies.flush()
    finally:
        sys.stdout = previous
