"""Load and faults against a running `hfx serve` (loopback only, bounded): REQUESTS well-formed
requests over CONNECTIONS concurrent clients, half streamed, a quarter of the streams dropped
after their first token, plus MALFORMED bad requests mixed in. Exits 1 unless there is no 5xx,
every well-formed request that was not dropped is answered in full, every malformed one gets a
4xx with an error body, and /health is 200 afterwards. Prints a JSON summary.

usage: load-serve.py BASE_URL REQUESTS CONNECTIONS MALFORMED MAX_TOKENS [API_KEY]
"""
import asyncio
import collections
import json
import random
import sys

try:  # openai 3.x brings httpx2; older environments have httpx
    import httpx2 as httpx
except ImportError:
    import httpx

base, requests, connections, malformed, max_tokens = sys.argv[1], *map(int, sys.argv[2:6])
headers = {"Authorization": f"Bearer {sys.argv[6]}"} if len(sys.argv) > 6 else {}
WORDS = ["sea", "moon", "tree", "river", "stone", "cloud", "fire", "bird"]
BAD = [
    (b'{"messages": [', "malformed JSON"),
    (b'{"messages": "x"}', "wrong type"),
    (b'{"messages": [{"role": "user", "content": "\xff"}]}', "invalid UTF-8"),
    (b'{"messages": [{"role": "user", "content": "x"}], "temperature": -1}', "out of range"),
    (b'{"messages": [{"role": "user", "content": "x"}], "model": "nope"}', "unknown model"),
    (b'{"prompt": 12}', "completions: wrong prompt type"),
]


async def well_formed(client, i, stats):
    rng = random.Random(i)
    stream = i % 2 == 0
    drop = stream and i % 4 == 0
    chat = i % 3 != 0
    words = " ".join(rng.choice(WORDS) for _ in range(rng.randint(1, 6)))
    body = {"max_tokens": max_tokens, "temperature": 0.7, "seed": i, "stream": stream}
    if chat:
        url = base + "/v1/chat/completions"
        body["messages"] = [{"role": "user", "content": f"Say something about {words}."}]
    else:
        url = base + "/v1/completions"
        body["prompt"] = f"A short note on {words}:"
    if not stream:
        r = await client.post(url, json=body, headers=headers)
        stats[r.status_code] += 1
        if r.status_code == 200 and r.json()["usage"]["completion_tokens"] >= 1:
            stats["answered"] += 1
        return
    async with client.stream("POST", url, json=body, headers=headers) as r:
        stats[r.status_code] += 1
        async for line in r.aiter_lines():
            if drop and line.startswith("data: {"):
                stats["dropped"] += 1
                return  # leaving the block closes the connection mid-answer
            if line == "data: [DONE]":
                stats["answered"] += 1


async def bad(client, i, stats):
    payload, _ = BAD[i % len(BAD)]
    path = "/v1/completions" if b"prompt" in payload else "/v1/chat/completions"
    r = await client.post(base + path, content=payload, headers={**headers, "content-type": "application/json"})
    stats[r.status_code] += 1
    ok = 400 <= r.status_code < 500 and "error" in r.json()
    stats["bad_ok" if ok else "bad_wrong"] += 1


async def main():
    stats = collections.Counter()
    jobs = [("good", i) for i in range(requests)] + [("bad", i) for i in range(malformed)]
    random.Random(0).shuffle(jobs)
    queue = asyncio.Queue()
    for j in jobs:
        queue.put_nowait(j)

    async def worker():
        async with httpx.AsyncClient(timeout=600) as client:
            while not queue.empty():
                kind, i = queue.get_nowait()
                await (well_formed if kind == "good" else bad)(client, i, stats)

    await asyncio.gather(*(worker() for _ in range(connections)))
    async with httpx.AsyncClient(timeout=60) as client:
        health = (await client.get(base + "/health")).status_code
    server_errors = sum(n for k, n in stats.items() if isinstance(k, int) and k >= 500)
    expected = requests - stats["dropped"]
    summary = {"stats": {str(k): v for k, v in sorted(stats.items(), key=str)}, "server_errors": server_errors,
               "expected_answers": expected, "health": health}
    print(json.dumps(summary))
    ok = server_errors == 0 and stats["answered"] == expected and stats["bad_ok"] == malformed and health == 200
    sys.exit(0 if ok else 1)


asyncio.run(main())
