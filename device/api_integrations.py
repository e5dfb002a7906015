# /api/integrations, served through api_node: GET shows the node's settings (history,
# flagged windows, MQTT, webhooks) without secrets (shared.node_settings.public: the MQTT
# password and webhook tokens are write-only) and the node's status; PUT validates an update
# with the validator the page runs too, stores it and restarts the senders.
# Memory: the settings dict; the validator (~2 KB of heap) is loaded per request; the answer
# goes out one section at a time (no one string of the whole, ~1.2 KB, on a fragmented heap).
import model_store as MS
from api_node import json_pieces, no_route, wrong_method
from httpd import err, json_body


def handle(request, parts, dev):
    if len(parts) != 1:
        return no_route(request, parts)
    if request.method not in ("GET", "PUT"):
        return wrong_method(request, ("GET", "PUT"))
    from shared import node_settings as NS
    try:
        return _handle(request, dev.node, NS)
    finally:
        MS.forget("shared.node_settings")


def _handle(request, node, NS):
    if request.method == "PUT":   # (token: api_node's guard)
        body = json_body(request)
        if not isinstance(body, dict):
            return err(400, "the body must be a JSON object of sections: %s"
                       % ", ".join(sorted(NS.SCHEMA)))
        try:
            new = NS.validate(node.settings, body)
        except NS.SettingsError as e:
            return err(400, str(e), field=e.field)
        try:
            node.apply(new)
        except OSError as e:
            return err(507, "could not store the settings (%s): nothing changed" % e)
    s = NS.public(node.settings)
    s["status"] = node.status()
    return json_pieces(s)
