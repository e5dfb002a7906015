# shared.node_settings on every runtime: defaults validate, updates merge by section, every
# refusal names its field, secrets are kept when left out and never shown by public().
from shared import node_settings as NS
from shared import limits as L


def _refused(update, field):
    try:
        NS.validate(NS.defaults(), update)
    except NS.SettingsError as e:
        assert e.field == field, (update, e.field, str(e))
        return str(e)
    raise AssertionError("accepted %r" % (update,))


def test_defaults_are_valid_and_off():
    d = NS.defaults()
    assert NS.validate(d, {}) == d
    assert not d["mqtt"]["enabled"] and not d["webhooks"]["enabled"]
    assert d["history"]["budget"] == L.HISTORY_BUDGET_DEFAULT


def test_update_merges_one_section_and_keeps_the_others():
    d = NS.defaults()
    n = NS.validate(d, {"mqtt": {"host": "10.0.0.2", "port": 1884}})
    assert n["mqtt"]["host"] == "10.0.0.2" and n["mqtt"]["port"] == 1884
    assert n["mqtt"]["summary_s"] == d["mqtt"]["summary_s"]
    assert n["history"] == d["history"]


def test_refusals_name_the_field():
    _refused({"nope": {}}, "nope")
    _refused({"mqtt": {"nope": 1}}, "mqtt.nope")
    _refused({"mqtt": {"port": 0}}, "mqtt.port")
    _refused({"mqtt": {"port": True}}, "mqtt.port")
    _refused({"mqtt": {"host": "a b"}}, "mqtt.host")
    _refused({"mqtt": {"topic": "a/+/b"}}, "mqtt.topic")
    _refused({"mqtt": {"enabled": 1}}, "mqtt.enabled")
    _refused({"mqtt": {"enabled": True}}, "mqtt.host")
    _refused({"flagged": {"threshold": 1.5}}, "flagged.threshold")
    _refused({"history": {"budget": L.HISTORY_BUDGET[1] + 1}}, "history.budget")
    _refused({"webhooks": {"enabled": True}}, "webhooks.urls")
    assert "http://" in _refused({"webhooks": {"urls": [{"url": "https://h/x"}]}},
                                 "webhooks.urls")
    _refused({"webhooks": {"urls": [{"url": "http://h/x", "x": 1}]}}, "webhooks.urls")
    _refused({"webhooks": {"urls": [{"url": "http://h:99999/x"}]}}, "webhooks.urls")
    many = [{"url": "http://h/%d" % i} for i in range(L.MAX_WEBHOOKS + 1)]
    _refused({"webhooks": {"urls": many}}, "webhooks.urls")


def test_secrets_are_kept_when_left_out_and_never_shown():
    d = NS.validate(NS.defaults(), {
        "mqtt": {"host": "h", "password": "pw-secret"},
        "webhooks": {"urls": [{"url": "http://h/a", "token": "tok-secret"},
                              {"url": "http://h/b"}]}})
    n = NS.validate(d, {"mqtt": {"port": 1885},
                        "webhooks": {"urls": [{"url": "http://h/a"}, {"url": "http://h/b"}]}})
    assert n["mqtt"]["password"] == "pw-secret"
    assert [h["token"] for h in n["webhooks"]["urls"]] == ["tok-secret", ""]
    p = NS.public(n)
    text = repr(p)
    assert "secret" not in text, text
    assert p["mqtt"]["password_set"] is True and "password" not in p["mqtt"]
    assert [h["token_set"] for h in p["webhooks"]["urls"]] == [True, False]
    cleared = NS.validate(n, {"mqtt": {"password": ""}})
    assert NS.public(cleared)["mqtt"]["password_set"] is False
