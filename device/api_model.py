# /api/model routes: PUT streams the model file (up to model_store.MAX_BYTES) through the
# validator into a temp file, then installs it atomically; GET/DELETE. One upload at a time.
# Memory: a body is never held in RAM (own_body): 512-byte reads go to the file and the
# line validator.
import asyncio
import gc
import json

import auth
import httpd
import model_store as MS

PATH = "/api/model"
_ROUTE_LIMIT = 4 << 20     # bodies up to this are read away for a clean 413 JSON answer
_READ = 512
_err = httpd.err


async def _read(stream, n):
    # a client silent for httpd.READ_MS mid-upload is dropped (the lock frees)
    return await asyncio.wait_for_ms(stream.read(n), httpd.READ_MS)


async def read_exactly(stream, buf):
    """Fill memoryview/bytearray buf from stream (httpd.READ_MS per read); EOFError when the
    client stops short, asyncio.TimeoutError when it stalls."""
    got, n = 0, len(buf)
    while got < n:
        c = await _read(stream, min(n - got, _READ))
        if not c:
            raise EOFError()
        buf[got:got + len(c)] = c
        got += len(c)


async def drain(request, n):
    """Read and drop n more body bytes, so the client gets our answer instead of a reset."""
    await httpd.drain(request.stream, n)


_drain = drain
_BIG = {}     # (method, path) -> largest body taken as a stream


def allow_big_body(app, method, path, limit=_ROUTE_LIMIT):
    """Microdot refuses bodies over Request.max_content_length (16 KB) before routing; the
    routes named here take up to limit bytes, as a stream (bodies over max_body_length are
    not read for the handler)."""
    if not _BIG:
        orig = app.dispatch_request

        async def dispatch(req):
            if req is not None:
                big = _BIG.get((req.method, req.path))
                if big is None:          # a prefix ending in "/" (e.g. /api/notebooks/<name>)
                    for (m, p), v in _BIG.items():
                        if m == req.method and p[-1] == "/" and req.path.startswith(p):
                            big = v
                if big:
                    req.max_content_length = big
            return await orig(req)
        app.dispatch_request = dispatch
    _BIG[(method, path)] = limit


def install(app, dev):
    """Add the /api/model routes; dev.model is the model_store.Store, dev.acq the Acquisition."""
    store = dev.model
    allow_big_body(app, "PUT", PATH)

    @app.get(PATH)
    async def get_model(request):
        m = store.current
        if m is None:
            return _err(404, store.problem or "no model installed (PUT %s)" % PATH)
        # the metadata is spliced in from the file as text, piece by piece: not kept in RAM
        n, body = MS.meta_json(store.path, json.dumps(m.summary())[:-1] + ', "meta": ', "}")
        return body, 200, {"Content-Type": "application/json", "Content-Length": str(n)}

    @app.put(PATH)
    @app.own_body
    async def put_model(request):
        n = request.content_length
        msg = auth.check(request.headers, dev.token)
        if msg:
            await _drain(request, n)
            return _err(401, msg)
        if store.busy:
            await _drain(request, n)
            return _err(409, "another model upload is in progress")
        if n <= 0:
            return _err(411, "send the model file as the body, with a Content-Length")
        if n > MS.MAX_BYTES:
            await _drain(request, n)
            return _err(413, "model file too large (%d bytes; limit %d)" % (n, MS.MAX_BYTES))
        store.busy = True
        try:
            return await _receive(request, n, store, dev)
        except MemoryError:
            # the validator and shared.features are imported for an upload: on a heap that
            # holds the firmware's bytecode (not frozen) they may not fit
            gc.collect()
            await _drain(request, n)
            return _err(503, "not enough RAM on the device to check a model now (%d bytes "
                        "free)" % gc.mem_free())
        finally:
            store.busy = False
            MS._remove(store.tmp)   # gone already after a successful rename

    @app.delete(PATH)
    def delete_model(request):
        msg = auth.check(request.headers, dev.token)
        if msg:
            return _err(401, msg)
        if store.busy:
            return _err(409, "another model upload is in progress")
        m = store.current
        if m is None:
            return _err(404, "no model installed")
        store.remove()
        return {"deleted": m.hash}


async def _receive(request, n, store, dev):
    try:
        return await _receive2(request, n, store, dev)
    finally:
        MS.forget()   # the validator's bytecode is not needed until the next upload
        if store.current is None:   # nothing to classify: the feature code can go too
            MS.forget("shared.features", "shared.fft", "shared.quant", "shared.model")


async def _receive2(request, n, store, dev):
    gc.collect()   # the metadata line (a few KB for many channels) wants contiguous blocks
    ck = MS.checker(MS.expectations(dev.acq))
    left = n
    stream = request.stream
    try:
        with open(store.tmp, "wb") as f:
            try:
                while left > 0:
                    chunk = await _read(stream, min(left, _READ))
                    if not chunk:
                        raise EOFError()
                    left -= len(chunk)
                    f.write(chunk)
                    ck.feed(chunk)
                info = ck.finish(request.headers.get("X-Model-Hash"))
            except ValueError as e:   # shared.model.ModelError
                await _drain(request, left)
                return _err(400, "invalid model: %s" % e, line=ck.number)
            except MemoryError:       # e.g. a long metadata line on a fragmented heap
                ck = None
                await _drain(request, left)
                gc.collect()
                return _err(503, "not enough RAM on the device to check this model now (%d "
                            "bytes free): retry" % gc.mem_free())
            f.flush()
        MS._sync()
        m = await store.install(info)
    except MemoryError:   # a small model on a busy heap (install says when it is too big)
        gc.collect()
        return _err(503, "not enough RAM on the device to load the model now (%d bytes "
                    "free): retry" % gc.mem_free())
    except (EOFError, asyncio.TimeoutError):
        print("motebook: model upload cut off after %d of %d bytes" % (n - left, n))
        return _err(400, "upload cut off after %d of %d bytes" % (n - left, n))
    except ValueError as e:      # not loadable (RAM), or the C loader disagreeing
        return _err(400, "invalid model: %s" % e)
    except OSError as e:
        if e.errno == httpd.ENOSPC:
            await _drain(request, left)
            return _err(507, "the device's flash is full: the model (%d bytes) was not "
                        "stored; the previous one stays" % n)
        if left:
            print("motebook: model upload cut off (%r)" % (e,))
            return _err(400, "upload cut off after %d of %d bytes" % (n - left, n))
        return _err(500, "could not store the model: %s" % e)
    print("motebook: model %s installed (%d trees, %d nodes, %d bytes, %s)"
          % (m.hash, m.trees, m.nodes, m.bytes, m.impl))
    return m.summary()
