"""The official `openai` client against `hfx serve` (run by tests/it/serve.rs).

usage: openai_client.py CHAT_BASE_URL EMBED_BASE_URL API_KEY EXPECTED_GREEDY_TEXT
"""
import sys

import openai

chat_url, embed_url, key, expected = sys.argv[1:]
client = openai.OpenAI(base_url=chat_url, api_key=key, max_retries=0)
question = [{"role": "user", "content": "What is the capital of France?"}]

models = client.models.list()
assert [m.id for m in models.data] == ["smollm2"], models
assert client.models.retrieve("smollm2").id == "smollm2"

r = client.chat.completions.create(model="smollm2", messages=question, temperature=0, max_tokens=10)
assert r.choices[0].message.content == expected, (r.choices[0].message.content, expected)
assert r.choices[0].finish_reason == "length", r
assert r.usage.completion_tokens == 10 and r.usage.total_tokens == r.usage.prompt_tokens + 10, r.usage

pieces, usage, finish = [], None, None
stream = client.chat.completions.create(
    model="smollm2", messages=question, temperature=0, max_tokens=10, stream=True,
    stream_options={"include_usage": True},
)
for chunk in stream:
    if chunk.usage is not None:
        usage = chunk.usage
    for c in chunk.choices:
        if c.delta.content:
            pieces.append(c.delta.content)
        if c.finish_reason:
            finish = c.finish_reason
assert "".join(pieces) == expected, (pieces, expected)
assert finish == "length" and usage is not None and usage.completion_tokens == 10, (finish, usage)

r = client.chat.completions.create(model="smollm2", messages=question, temperature=0.8, seed=7, n=2, max_tokens=6)
assert len(r.choices) == 2 and [c.index for c in r.choices] == [0, 1], r

c = client.completions.create(model="smollm2", prompt="The capital of France is", temperature=0, max_tokens=8, stop=["\n\n"])
assert c.choices[0].text == " Paris.", c
assert c.choices[0].finish_reason == "stop", c

try:
    client.chat.completions.create(model="smollm2", messages=question, temperature=5)
    raise SystemExit("temperature=5 was accepted")
except openai.BadRequestError as e:
    assert "temperature" in str(e), e

try:
    client.chat.completions.create(model="gpt-4o", messages=question)
    raise SystemExit("an unknown model was accepted")
except openai.NotFoundError as e:
    assert "gpt-4o" in str(e), e

try:
    openai.OpenAI(base_url=chat_url, api_key="wrong", max_retries=0).models.list()
    raise SystemExit("a wrong API key was accepted")
except openai.AuthenticationError:
    pass

emb = openai.OpenAI(base_url=embed_url, api_key=key, max_retries=0)
e = emb.embeddings.create(model="minilm", input=["A sentence to embed.", "Another one."])
assert len(e.data) == 2 and len(e.data[0].embedding) == 384, e
# The client asks for base64 by default when numpy is absent or present alike; both decode.
f = emb.embeddings.create(model="minilm", input="A sentence to embed.", encoding_format="float")
assert abs(f.data[0].embedding[0] - e.data[0].embedding[0]) < 1e-5
print("all checks passed")
