# /api/wifi: GET the Wi-Fi state (never the password; {"mode": "none"} on the simulator);
# PUT {"ssid": ..., "password": ...} stores a network and joins it (202: the page polls GET
# for the outcome). Before the device has ever joined a network, whoever is on its access
# point may set one; after that the access token is needed (@app.guard with a condition).
# Memory: no state of its own.
from httpd import err, json_body

PATH = "/api/wifi"


def install(app, dev):
    def no_wifi():
        return err(404, "this device has no Wi-Fi (simulator)")

    @app.get(PATH)
    def get_wifi(request):
        if dev.wifi is None:
            return {"mode": "none"}   # not an error: the page asks every device
        return dev.wifi.status()

    def needs_token(request):
        return dev.wifi is not None and dev.wifi.needs_token()

    @app.put(PATH)
    @app.own_body     # read only once allowed (the app reads only token holders' bodies)
    async def put_wifi(request):
        w = dev.wifi
        if w is None:
            return no_wifi()
        await app.read_body(request)
        body = json_body(request)
        if not isinstance(body, dict):
            return err(400, 'body must be {"ssid": NAME, "password": TEXT}')
        msg = w.set_network(body.get("ssid"), body.get("password", ""))
        if msg:
            return err(400, msg)
        return w.status(), 202

    app.guard(put_wifi, when=needs_token)
