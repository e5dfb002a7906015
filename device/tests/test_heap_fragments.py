# The free heap stays in large pieces while a page works the device: clients connecting and
# leaving, recordings, a model push, the node's stores switched on, all under a stream of API
# requests. Without board.GC_THRESHOLD (collect every 16 KB allocated) the objects that live on
# end up scattered over the heap and the largest free block falls to 3-8 KB of 57 KB free
# (then a 6-channel model's 2.5 KB metadata line finds no room); with it, 25-33 KB.
import threading
import time

from device.tests import nodekit as K


def _busy_page(dev):
    auth = {"Authorization": "Bearer " + dev.token}
    done = threading.Event()

    def poll():
        while not done.is_set():
            for p in ("/api/status", "/api/sessions", "/api/config", "/api/model"):
                dev.request("GET", p, headers=auth)

    def read(ws):
        try:
            while not done.is_set():
                ws.recv()
        except OSError:
            pass
    return done, poll, read


def test_the_free_heap_stays_in_large_blocks_while_a_page_works_the_device(tmp_path):
    dev = K.start(tmp_path / "data")
    done, poll, read = _busy_page(dev)
    threads = [threading.Thread(target=poll) for _ in range(2)]
    clients = []
    try:
        boot = dev.json("GET", "/api/heap", token=dev.token)[1]
        assert boot["largest"] > 32 * 1024, boot
        for t in threads:
            t.start()

        def connect():
            ws = dev.ws()
            clients.append(ws)
            threading.Thread(target=read, args=(ws,), daemon=True).start()
        for _ in range(3):
            connect()
        for _ in range(8):
            st, m = dev.json("POST", "/api/sessions", {}, token=dev.token)
            assert st == 201, m
            time.sleep(0.3)
            assert dev.json("POST", "/api/sessions/%d/stop" % m["id"], {},
                            token=dev.token)[0] == 200
        K.install(dev, K.M.WINDOW)
        assert dev.put("/api/integrations", {"history": {"enabled": True},
                                             "flagged": {"threshold": 0.9}})[0] == 200
        for _ in range(3):
            connect()
            time.sleep(0.2)
            clients.pop(0).close()
        assert dev.json("POST", "/api/sessions", {}, token=dev.token)[0] == 201
        time.sleep(2)
        done.set()
        for t in threads:
            t.join()
        h = dev.json("GET", "/api/heap", token=dev.token)[1]
        print("free heap %d bytes, largest block %d (at boot %d of %d)"
              % (h["free"], h["largest"], boot["largest"], boot["free"]))
        assert h["largest"] >= 16 * 1024, h
    finally:
        done.set()
        for t in threads:
            if t.is_alive():
                t.join()
        for ws in clients:
            ws.close()
        dev.stop()
