"""The built-in chat page in a real browser (headless Chromium through selenium), run by
tests/it/webui.rs against `hfx serve` with an API key.

usage: webui_check.py BASE_URL API_KEY SCREENSHOT
Asks for the key, sends a message with Enter (Shift+Enter only adds a line), watches the answer
stream in, stops a long answer, reloads and finds the conversation kept, and fails on any
browser console error. Saves a screenshot. Prints "all checks passed".
"""
import json
import sys
import time
import urllib.request

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

base, key, shot = sys.argv[1:]

opts = webdriver.ChromeOptions()
for a in ["--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1200,900"]:
    opts.add_argument(a)
opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
driver = webdriver.Chrome(options=opts, service=Service("/usr/bin/chromedriver"))
driver.set_page_load_timeout(60)


def wait(cond, what, timeout=120):
    start = time.time()
    while time.time() - start < timeout:
        v = cond()
        if v:
            return v
        time.sleep(0.05)
    driver.save_screenshot(shot)
    raise SystemExit(f"timed out waiting for {what}")


# The page re-renders a message while it streams, so an element found in one call can be stale
# by the next: read the answers' text and state in one script call instead.
def answers():
    return driver.execute_script(
        "return [...document.querySelectorAll('.msg.assistant')]"
        ".map(m => ({text: m.innerText, done: !!m.querySelector('.stats')}))"
    )


def cancelled():
    req = urllib.request.Request(base + "/metrics", headers={"Authorization": "Bearer " + key})
    text = urllib.request.urlopen(req).read().decode()
    return int(next(l.split()[1] for l in text.splitlines() if l.startswith("hfx_cancelled_total ")))


try:
    driver.get(base + "/")
    # The server wants a key: the page asks for it, keeps it, and lists the served model.
    dialog = wait(lambda: driver.find_element(By.ID, "key-dialog").get_attribute("open") is not None, "the key dialog")
    driver.find_element(By.ID, "key").send_keys(key + Keys.ENTER)
    wait(lambda: driver.find_elements(By.CSS_SELECTOR, "#model option"), "the model list")
    assert driver.find_element(By.ID, "model").get_attribute("value") == "smollm2"

    box = driver.find_element(By.ID, "input")
    # Shift+Enter adds a line and sends nothing.
    box.send_keys("What is the capital of France?")
    box.send_keys(Keys.SHIFT, Keys.ENTER)
    assert box.get_attribute("value") == "What is the capital of France?\n", repr(box.get_attribute("value"))
    assert not answers()
    driver.execute_script("arguments[0].value = ''", box)
    driver.find_element(By.ID, "temperature").clear()
    driver.find_element(By.ID, "temperature").send_keys("0")
    box.send_keys("What is the capital of France? Answer in one sentence." + Keys.ENTER)
    # The answer streams in: it is seen growing before it is done.
    lengths = set()
    def finished():
        a = answers()
        if a:
            lengths.add(len(a[-1]["text"]))
        return a and a[-1]["done"]
    wait(finished, "the first answer")
    first = answers()[-1]["text"]
    assert "Paris" in first, first
    assert "tokens/s" in first, first
    assert len(lengths) >= 3, lengths
    assert driver.find_element(By.ID, "send").text == "Send"

    # A long answer, stopped: the button cancels the request and the server drops the sequence.
    before = cancelled()
    driver.find_element(By.ID, "max-tokens").clear()
    driver.find_element(By.ID, "max-tokens").send_keys("2000")
    box.send_keys("Write a very long story about a dragon who learns to cook, in many chapters." + Keys.ENTER)
    wait(lambda: len(a := answers()) == 2 and len(a[-1]["text"]) > 40, "the long answer to start")
    assert driver.find_element(By.ID, "send").text == "Stop"
    driver.find_element(By.ID, "send").click()
    wait(lambda: answers()[-1]["done"], "the stop")
    assert "(stopped)" in answers()[-1]["text"], answers()[-1]["text"]
    wait(lambda: cancelled() > before, "the server to cancel the sequence", timeout=30)

    # Reload: the conversation is still there (kept in localStorage), the key too.
    driver.refresh()
    wait(lambda: len(driver.find_elements(By.CSS_SELECTOR, ".msg.user")) == 2, "the kept conversation")
    assert "Paris" in answers()[0]["text"]
    assert driver.find_element(By.ID, "key-dialog").get_attribute("open") is None
    driver.save_screenshot(shot)

    # Markdown: code blocks (escaped), inline code, bold, lists; no raw HTML from the model.
    html = driver.execute_script("return markdown(arguments[0])", "Run:\n```python\nprint('<b>')\n```\n- **one** `x`\n- two")
    assert "<pre><code class=\"language-python\">print(&#39;&lt;b&gt;&#39;)</code></pre>" in html, html
    assert "<ul><li><strong>one</strong> <code>x</code></li><li>two</li></ul>" in html, html
    # A new chat starts empty beside the kept one; deleting it goes back.
    driver.find_element(By.ID, "new").click()
    assert not driver.find_elements(By.CSS_SELECTOR, ".msg") and len(driver.find_elements(By.CSS_SELECTOR, "#chats li")) == 2
    driver.find_element(By.ID, "clear").click()
    assert len(driver.find_elements(By.CSS_SELECTOR, ".msg.user")) == 2

    # The one expected failure: the page's first /v1/models, before it has the key, is how it
    # learns that the server wants one (Chromium logs every 4xx response).
    expected = lambda e: e["source"] == "network" and "/v1/models" in e["message"] and "401" in e["message"]
    log = driver.get_log("browser")
    assert sum(map(expected, log)) == 1, json.dumps(log, indent=1)
    errors = [e for e in log if e["level"] == "SEVERE" and not expected(e)]
    assert not errors, json.dumps(errors, indent=1)
finally:
    driver.quit()
print("all checks passed")
