# The node's name on the network: motebook-xxxx.local (the hostname is set by wifi.py through
# network.hostname) and the service _http._tcp on it, announced by the pinned PyPI
# micropython-mdns 1.8.0 (mdns_client.Responder: answers PTR, SRV, TXT and A queries). That
# library cannot run on the unix port (its client needs select.select and socket.IPPROTO_IP,
# which the unix port lacks), so there this prints what it would announce. Memory: the
# library, ~30 KB of heap when loaded from .mpy (less frozen), only when it can run.
import asyncio
import gc

SERVICE = ("_http", "_tcp")
MIN_FREE = 48 * 1024     # free heap needed before loading the responder (~30 KB from .mpy)


def own_ip():
    """The address being announced: the station's (else the access point's) on a board, the
    simulator's listening address on the host."""
    try:
        import network
    except ImportError:
        import board
        return board.HOST
    for i in (network.STA_IF, network.AP_IF):
        w = network.WLAN(i)
        if w.active() and w.ifconfig()[0] != "0.0.0.0":
            return w.ifconfig()[0]
    return "0.0.0.0"


def announce(name, port):
    """Announce _http._tcp on name.local at port. Returns a short status dict
    (/api/status node.mdns)."""
    what = "%s.local: %s.%s.local port %d (txt path=/)" % (name, SERVICE[0], SERVICE[1], port)
    gc.collect()
    if gc.mem_free() < MIN_FREE:
        why = "not enough heap (%d free, %d needed)" % (gc.mem_free(), MIN_FREE)
        print("motebook: mDNS would announce %s (%s)" % (what, why))
        return {"host": name + ".local", "service": "_http._tcp", "port": port,
                "announced": False, "why": why}
    try:
        from mdns_client import Client
        from mdns_client.responder import Responder
    except ImportError as e:
        import sys
        for m in list(sys.modules):   # what loaded before the failure: its heap back
            if m.startswith("mdns_client"):
                del sys.modules[m]
        print("motebook: mDNS would announce %s (micropython-mdns cannot run here: %s)"
              % (what, e))
        return {"host": name + ".local", "service": "_http._tcp", "port": port,
                "announced": False, "why": str(e)}
    client = Client(own_ip())
    r = Responder(client, own_ip=own_ip, host=name)
    r.advertise(SERVICE[0], SERVICE[1], port, data={"path": "/"})
    asyncio.create_task(client.start())
    print("motebook: mDNS announces", what)
    return {"host": name + ".local", "service": "_http._tcp", "port": port,
            "announced": True, "why": None}
