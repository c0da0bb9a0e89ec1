"""Only the host names in TRUSTED_HOSTS: any other Host header gets a short 400.

A WSGI middleware, wrapped around the app by create_app() (inside ProxyFix, so
that behind a proxy it checks the name the visitor asked for). A forged Host
header must never end up in the absolute URLs we write (redirects, the API's
"url" fields), so a request for a name the site does not answer to is refused
here, before Flask sees it.

Flask has a check of its own (it reads TRUSTED_HOSTS too), but it tells upper
from lower case (LOCALHOST was refused), never matches an IPv6 address
([::1] was refused although it is trusted), and its error comes before Flask
can build any URL: our error page then failed too, and every such request was
a 500 with a long traceback in the log. This one takes its place (init_app turns
Flask's off): names are compared in lower case, a port is allowed, "[::1]" and
"::1" are the same address; the answer is a short page of its own (JSON for
programs) and one line in the log.
"""

import json

from . import health

# A refused request's page: no template, no url_for (nothing is built from the host).
PAGE = """<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>400 Bad Request</title></head>
<body><h1>400 Bad Request</h1><p>{message}</p></body>
</html>
"""
MESSAGE = "This site is not served at this address."


def init_app(app):
    """Check every request's host, then turn Flask's own check off (see above)."""
    app.wsgi_app = TrustedHosts(app.wsgi_app, app.config["TRUSTED_HOSTS"], app.logger)
    app.config["TRUSTED_HOSTS"] = None


def host_name(host):
    """The name part of a Host header, in lower case: "LocalHost:5000" is
    "localhost", "[::1]:5000" is "[::1]"; None if it is not a name and a port."""
    host = host.strip().lower()
    if host.startswith("["):  # an IPv6 address: [::1] or [::1]:5000
        end = host.find("]") + 1
    else:
        end = host.find(":") if ":" in host else len(host)
    name, port = host[:end], host[end:]
    if not name or (port and not (port[0] == ":" and port[1:].isascii() and port[1:].isdigit())):
        return None
    return name


def trusted_name(name):
    """A name of TRUSTED_HOSTS the way host_name() writes it: an IPv6 address in
    brackets ("::1" is "[::1]"), in lower case, in ASCII (bücher.example is
    xn--bcher-kva.example, as browsers send it). A leading dot stays: ".example.org"
    stands for example.org and every name under it, as in Flask."""
    name = name.strip().lower()
    if ":" in name and not name.startswith("["):
        return f"[{name}]"
    try:
        return name.encode("idna").decode("ascii")
    except UnicodeError:
        return name


class TrustedHosts:
    def __init__(self, wsgi_app, hosts, logger):
        self.wsgi_app = wsgi_app
        # None or []: every name is served (as in Flask).
        self.names = [trusted_name(name) for name in hosts or []]
        self.logger = logger

    def __call__(self, environ, start_response):
        host = environ.get("HTTP_HOST") or environ.get("SERVER_NAME", "")
        # The health check, for any name: a load balancer asks by the machine's
        # address, and the answer writes no address a forged name could go into.
        if environ.get("PATH_INFO") == health.PATH:
            return self.wsgi_app(environ, start_response)
        if not self.names or self.is_trusted(host_name(host)):
            return self.wsgi_app(environ, start_response)
        # One line, with the name cut short and quoted (repr): it is the sender's text.
        self.logger.warning("Refused a request for host %r: not in TRUSTED_HOSTS", host[:100])
        path = environ.get("PATH_INFO", "")
        if path.startswith("/api/") or path.endswith(".json"):
            body = json.dumps({"error": {"status": 400, "message": MESSAGE}})
            content_type = "application/json"
        else:
            body = PAGE.format(message=MESSAGE)
            content_type = "text/html; charset=utf-8"
        body = body.encode()
        start_response("400 Bad Request", [
            ("Content-Type", content_type),
            ("Content-Length", str(len(body))),
            ("X-Content-Type-Options", "nosniff"),
            ("Content-Security-Policy", "default-src 'none'"),
        ])  # fmt: skip
        return [body]

    def is_trusted(self, name):
        """True if `name` (from host_name) is one of the names, or under a ".name"."""
        if name is None:
            return False
        for trusted in self.names:
            if name == trusted:
                return True
            if trusted.startswith(".") and (name == trusted[1:] or name.endswith(trusted)):
                return True
        return False
