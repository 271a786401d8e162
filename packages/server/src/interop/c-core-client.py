"""A gRPC C-core client (Debian's python3-grpcio) calling every HelloService method.

It needs no generated code: messages are encoded by hand (field 1 = greeting, field 2 =
reply_count, field 3 = reply_interval), so it checks the server against C-core's view of
the wire and nothing of ours. Prints one JSON object per check; exits 0 when it ran.
"""
import json
import sys

import grpc

target = sys.argv[1]


def varint(n):
    out = bytearray()
    while n > 0x7F:
        out.append((n & 0x7F) | 0x80)
        n >>= 7
    out.append(n)
    return bytes(out)


def request(greeting, count=0, interval_ms=0):
    text = greeting.encode()
    msg = b"\x0a" + varint(len(text)) + text
    if count:
        msg += b"\x10" + varint(count)
    if interval_ms:
        seconds, nanos = divmod(interval_ms, 1000)
        duration = (b"\x08" + varint(seconds) if seconds else b"") + (b"\x10" + varint(nanos * 1_000_000) if nanos else b"")
        msg += b"\x1a" + varint(len(duration)) + duration
    return msg


def reply(data):
    # HelloResponse: field 1 (reply), length-delimited.
    assert data[0] == 0x0A, data
    length, at = 0, 1
    shift = 0
    while True:
        b = data[at]
        length |= (b & 0x7F) << shift
        at += 1
        shift += 7
        if b < 0x80:
            break
    return data[at : at + length].decode()


ident = lambda x: x
results = []
channel = grpc.insecure_channel(target)
grpc.channel_ready_future(channel).result(timeout=10)
path = "/hello.v1.HelloService/"
say = channel.unary_unary(path + "SayHello", request_serializer=ident, response_deserializer=reply)
replies = channel.unary_stream(path + "LotsOfReplies", request_serializer=ident, response_deserializer=reply)
greetings = channel.stream_unary(path + "LotsOfGreetings", request_serializer=ident, response_deserializer=reply)
bidi = channel.stream_stream(path + "BidiHello", request_serializer=ident, response_deserializer=reply)
nope = channel.unary_unary(path + "Nope", request_serializer=ident, response_deserializer=reply)


def record(name, fn):
    try:
        results.append({"check": name, "ok": True, **fn()})
    except grpc.RpcError as e:
        results.append({"check": name, "ok": False, "code": e.code().name, "details": e.details()})


def say_hello():
    res, call = say.with_call(request("c-core"), metadata=[("x-request-id", "c-core-1"), ("x-echo-raw-bin", b"\x00\x01\xff")], timeout=5)
    headers = dict(call.initial_metadata())
    return {"reply": res, "requestId": headers.get("x-request-id"), "echoBin": list(headers.get("x-echo-raw-bin", b""))}


record("SayHello", say_hello)
record("LotsOfReplies", lambda: {"replies": list(replies(request("stream", 3), timeout=5))})
record("LotsOfGreetings", lambda: {"reply": greetings(iter([request("a"), request("b")]), timeout=5)})
record("BidiHello", lambda: {"replies": list(bidi(iter([request("x"), request("y")]), timeout=5))})
record("Deadline", lambda: {"replies": list(replies(request("slow", 50, 100), timeout=0.35))})
record("Invalid", lambda: {"reply": say(request(""), timeout=5)})
record("Unknown", lambda: {"reply": nope(request("x"), timeout=5)})
record("Gzip", lambda: {"reply": say(request("zipped"), timeout=5, compression=grpc.Compression.Gzip)})
print(json.dumps(results))
