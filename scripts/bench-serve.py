"""Concurrent streaming clients against an OpenAI-compatible server (hfx serve, llama-server).

usage: bench-serve.py BASE_URL CLIENTS TOKENS ROUNDS [RESPONSE_FORMAT_JSON]
Each client streams one chat completion of exactly TOKENS tokens (ignore_eos, temperature 0) on
its own prompt; all start together. With RESPONSE_FORMAT_JSON every request sends it as
`response_format` (a schema that cannot end within TOKENS keeps the count exact). Prints one JSON line per round: aggregate generated tokens/s
(all tokens over the wall time of the round) and time to first token p50/p95.
"""
import asyncio
import json
import statistics
import sys
import time

try:  # openai 3.x brings httpx2; older environments have httpx
    import httpx2 as httpx
except ImportError:
    import httpx

PROMPTS = [
    "Write a story about a dragon who learns to cook.",
    "Explain how a bicycle works.",
    "Describe the city of Paris in spring.",
    "What are the rules of chess?",
    "Tell me about the history of the printing press.",
    "How do volcanoes form?",
    "Write a poem about the ocean at night.",
    "Explain photosynthesis to a child.",
    "Describe a walk through a forest.",
    "What makes a good cup of coffee?",
    "Tell me about the planets of the solar system.",
    "How does a computer store numbers?",
]


async def one(client, url, prompt, tokens, response_format):
    body = {
        "messages": [{"role": "user", "content": prompt}],
        "max_tokens": tokens,
        "temperature": 0,
        "ignore_eos": True,
        "stream": True,
        "stream_options": {"include_usage": True},
    }
    if response_format:
        body["response_format"] = response_format
    start = time.perf_counter()
    first = None
    count = 0
    async with client.stream("POST", url, json=body) as r:
        r.raise_for_status()
        async for line in r.aiter_lines():
            if not line.startswith("data: ") or line == "data: [DONE]":
                continue
            chunk = json.loads(line[6:])
            if chunk.get("usage"):
                count = chunk["usage"]["completion_tokens"]
            for c in chunk.get("choices", []):
                if c.get("delta", {}).get("content") and first is None:
                    first = time.perf_counter() - start
    return first, count


async def round_(url, clients, tokens, response_format=None):
    async with httpx.AsyncClient(timeout=600) as client:
        start = time.perf_counter()
        results = await asyncio.gather(*(one(client, url, PROMPTS[i % len(PROMPTS)], tokens, response_format) for i in range(clients)))
        wall = time.perf_counter() - start
    ttft = sorted(r[0] for r in results)
    total = sum(r[1] for r in results)
    p95 = ttft[min(len(ttft) - 1, int(round(0.95 * (len(ttft) - 1))))]
    return {"clients": clients, "tokens": total, "wall_s": round(wall, 3), "tok_s": round(total / wall, 2),
            "ttft_p50_s": round(statistics.median(ttft), 3), "ttft_p95_s": round(p95, 3)}


def main():
    base, clients, tokens, rounds = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
    response_format = json.loads(sys.argv[5]) if len(sys.argv) > 5 else None
    url = base.rstrip("/") + "/v1/chat/completions"
    asyncio.run(round_(url, 1, 8, response_format))  # warm-up
    for _ in range(rounds):
        print(json.dumps(asyncio.run(round_(url, clients, tokens, response_format))), flush=True)


main()
