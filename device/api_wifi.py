# /api/wifi: GET the Wi-Fi state (never the password; {"mode": "none"} on the simulator);
# PUT {"ssid": ..., "password": ...} stores a network and joins it (202: the page polls GET
# for the outcome). Before the device has ever joined a network, whoever is on its access
# point may set one; after that the access token is needed. Memory: no state of its own.
import auth

PATH = "/api/wifi"


def install(app, dev, err, json_body):
    def no_wifi():
        return err(404, "this device has no Wi-Fi (simulator)")

    @app.get(PATH)
    def get_wifi(request):
        if dev.wifi is None:
            return {"mode": "none"}   # not an error: the page asks every device
        return dev.wifi.status()

    @app.put(PATH)
    @app.own_body     # read only once allowed (app.before_request reads token holders' bodies)
    async def put_wifi(request):
        w = dev.wifi
        if w is None:
            return no_wifi()
        if w.needs_token():
            msg = auth.check(request.headers, dev.token)
            if msg:
                return err(401, msg)
        await app.read_body(request)
        body = json_body(request)
        if not isinstance(body, dict):
            return err(400, 'body must be {"ssid": NAME, "password": TEXT}')
        msg = w.set_network(body.get("ssid"), body.get("password", ""))
        if msg:
            return err(400, msg)
        return w.status(), 202
