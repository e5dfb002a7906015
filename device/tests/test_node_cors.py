# CORS for reads only, off by default: a page of an origin listed in the config's "origins"
# (the same list that may open /ws) gets Access-Control-Allow-Origin on GETs, no other origin
# does, writes never get it, and no preflight is granted (a browser sends no cross-origin
# write).
NB = "http://lab.example:8888"


def test_cors_reads_only_for_listed_origins(dev):
    st, h, b = dev.request("GET", "/api/history/info", headers={"Origin": NB})
    assert st == 200 and "access-control-allow-origin" not in h   # off by default
    st, body = dev.put("/api/config", {"origins": [NB]})
    assert st == 200, body
    try:
        for path in ("/api/status", "/api/sessions", "/api/history/info", "/api/integrations"):
            st, h, b = dev.request("GET", path, headers={"Origin": NB})
            assert st == 200 and h.get("access-control-allow-origin") == NB, path
            assert "X-Scale" in h.get("access-control-expose-headers", "")
        st, h, b = dev.request("GET", "/api/status", headers={"Origin": "http://evil.example"})
        assert st == 200 and "access-control-allow-origin" not in h
        st, h, b = dev.request("PUT", "/api/integrations", {"flagged": {"max": 8}},
                               headers={"Origin": NB, "Authorization": "Bearer " + dev.token})
        assert st == 200 and "access-control-allow-origin" not in h    # a write: never
        st, h, b = dev.request("OPTIONS", "/api/integrations", headers={
            "Origin": NB, "Access-Control-Request-Method": "PUT"})
        assert "access-control-allow-origin" not in h and \
            "access-control-allow-methods" not in h    # (Microdot's Allow answer is no preflight)
    finally:
        dev.put("/api/config", {"origins": []})
