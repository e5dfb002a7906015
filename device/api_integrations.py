# HTTP routes of the node's settings (history, flagged windows, MQTT, webhooks): GET shows
# them without secrets (shared.node_settings.public: the MQTT password and webhook tokens
# are write-only), PUT validates an update with the same shared validator the page runs,
# stores it and restarts the senders. Memory: the settings dict (a few hundred bytes).
from shared import node_settings as NS


def install(app, dev, err, require_token, json_body):
    node = dev.node

    def view():
        s = NS.public(node.settings)
        s["status"] = node.status()
        return s

    @app.get("/api/integrations")
    def get_settings(request):
        return view()

    @app.put("/api/integrations")
    def put_settings(request):
        denied = require_token(request)
        if denied:
            return denied
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
        return view()
