# /api/model routes: PUT streams the model file (up to model_store.MAX_BYTES) through the
# validator into a temp file, then installs it atomically; GET/DELETE. One upload at a time.
# GET: the summary, "trained_on_device" (the evaluation POST /api/train kept, only for a
# model the node trained itself) and the metadata.
# Memory: a body is never held in RAM (own_body): 512-byte reads go to the file and the
# line validator.
import asyncio
import gc
import json

import httpd as H
import model_store as MS
from httpd import err

PATH = "/api/model"
_READ = H.READ_CHUNK


def install(app, dev):
    """Add the /api/model routes; dev.model is the model_store.Store, dev.acq the Acquisition."""
    store = dev.model
    app.allow_big_body("PUT", PATH)

    @app.get(PATH)
    async def get_model(request):
        m = store.current
        if m is None:
            return err(404, store.problem or "no model installed (PUT %s)" % PATH)
        # the metadata is spliced in from the file as text, piece by piece: not kept in RAM;
        # a model trained on the device: its evaluation too (trained.json, a few KB at most)
        t = store.trained_json()
        n, body = MS.meta_json(store.path, json.dumps(m.summary())[:-1] + (
            ', "trained_on_device": %s' % t if t else "") + ', "meta": ', "}")
        return body, 200, {"Content-Type": "application/json", "Content-Length": str(n)}

    @app.put(PATH)
    @app.own_body
    @app.guard
    async def put_model(request):
        n = request.content_length
        if store.busy:
            await H.drain(request.stream, n)
            return err(409, "another model upload is in progress")
        if n <= 0:
            return err(411, "send the model file as the body, with a Content-Length")
        if n > MS.MAX_BYTES:
            await H.drain(request.stream, n)
            return err(413, "model file too large (%d bytes; limit %d)" % (n, MS.MAX_BYTES))
        store.busy = True
        try:
            return await _receive(request, n, store, dev)
        except MemoryError:
            # the validator and shared.features are imported for an upload: on a heap that
            # holds the firmware's bytecode (not frozen) they may not fit
            gc.collect()
            await H.drain(request.stream, n)
            return err(503, "not enough RAM on the device to check a model now (%d bytes "
                        "free)" % gc.mem_free())
        finally:
            store.busy = False
            store.discard_upload()   # gone already after a successful rename

    @app.delete(PATH)
    @app.guard
    def delete_model(request):
        if store.busy:
            return err(409, "another model upload is in progress")
        m = store.current
        if m is None:
            return err(404, "no model installed")
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
                    chunk = await H.read(stream, min(left, _READ))
                    if not chunk:
                        raise EOFError()
                    left -= len(chunk)
                    f.write(chunk)
                    ck.feed(chunk)
                info = ck.finish(request.headers.get("X-Model-Hash"))
                ck = None   # its metadata, hash and line state: ~16 KB the load can use
                gc.collect()
            except ValueError as e:   # shared.model.ModelError
                await H.drain(request.stream, left)
                return err(400, "invalid model: %s" % e, line=ck.number)
            except MemoryError:       # e.g. a long metadata line on a fragmented heap
                ck = None
                await H.drain(request.stream, left)
                gc.collect()
                return err(503, "not enough RAM on the device to check this model now (%d "
                            "bytes free): retry" % gc.mem_free())
            f.flush()
        MS.sync()
        m = await store.install(info)
    except MemoryError:   # a small model on a busy heap (install says when it is too big)
        ck = info = None   # the free heap said is what the next try finds
        gc.collect()
        return err(503, "not enough RAM on the device to load the model now (%d bytes "
                    "free): retry" % gc.mem_free())
    except (EOFError, asyncio.TimeoutError):
        print("motebook: model upload cut off after %d of %d bytes" % (n - left, n))
        return err(400, "upload cut off after %d of %d bytes" % (n - left, n))
    except ValueError as e:      # not loadable (RAM), or the C loader disagreeing
        return err(400, "invalid model: %s" % e)
    except OSError as e:
        if e.errno == H.ENOSPC:
            await H.drain(request.stream, left)
            return err(507, "the device's flash is full: the model (%d bytes) was not "
                        "stored; the previous one stays" % n)
        if left:
            print("motebook: model upload cut off (%r)" % (e,))
            return err(400, "upload cut off after %d of %d bytes" % (n - left, n))
        return err(500, "could not store the model: %s" % e)
    print("motebook: model %s installed (%s, %d bytes)" % (m.hash, MS.describe(m), m.bytes))
    return m.summary()
