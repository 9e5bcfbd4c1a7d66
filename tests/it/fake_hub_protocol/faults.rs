//! Injected faults: error statuses, dropped bodies, delays and bandwidth limits.

use super::*;

#[tokio::test]
async fn fault_status_with_retry_after_then_recovers() {
    let hub = hub();
    hub.add_repo(model("acme/m"));
    hub.add_fault(Fault {
        method: Some("GET"),
        path_contains: "/api/models/acme/m".into(),
        kind: FaultKind::Status { status: 503, retry_after: Some(7) },
        times: 2,
    });
    let c = http();
    let url = format!("{}/api/models/acme/m", hub.url());
    // HEAD does not match a GET-only fault.
    assert_eq!(c.head(&url).send().await.unwrap().status(), 200);
    for _ in 0..2 {
        let r = c.get(&url).send().await.unwrap();
        assert_eq!(r.status(), 503);
        assert_eq!(h(&r, "retry-after"), "7");
        assert!(!h(&r, "x-error-message").is_empty());
        let v: serde_json::Value = r.json().await.unwrap();
        assert!(v["error"].is_string());
    }
    assert_eq!(c.get(&url).send().await.unwrap().status(), 200);
    let statuses: Vec<u16> = hub.log().iter().map(|l| l.status).collect();
    assert_eq!(statuses, [200, 503, 503, 200]);
    hub.add_fault(Fault::new("/api/models", FaultKind::Status { status: 429, retry_after: None }, 5));
    hub.clear_faults();
    assert_eq!(c.get(&url).send().await.unwrap().status(), 200);
}

#[tokio::test]
async fn fault_drop_after_breaks_the_body() {
    let hub = hub();
    hub.add_repo(model("acme/m"));
    let c = http();
    let loc =
        h(&c.head(format!("{}/acme/m/resolve/main/model.safetensors", hub.url())).send().await.unwrap(), "location");
    hub.add_fault(Fault::new("/repos/", FaultKind::DropAfter { bytes: 100_000 }, 1));
    let mut r = c.get(&loc).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let mut got = 0usize;
    let err = loop {
        match r.chunk().await {
            Ok(Some(b)) => got += b.len(),
            Ok(None) => panic!("clean end of body after {got} bytes"),
            Err(e) => break e,
        }
    };
    assert_eq!(got, 100_000, "{err}");
    assert_eq!(hub.bytes_served("/repos/"), 100_000);
    // Resume with a range.
    let r = c.get(&loc).header("range", "bytes=100000-").send().await.unwrap();
    assert_eq!(r.status(), 206);
    assert_eq!(r.bytes().await.unwrap(), big(300_000)[100_000..]);
    assert_eq!(hub.bytes_served("/repos/"), 300_000);
    assert_eq!(hub.log().last().unwrap().range.as_deref(), Some("bytes=100000-"));
}

#[tokio::test]
async fn fault_delay_and_bandwidth_limit() {
    let hub = hub();
    hub.add_repo(RepoSpec::new(RepoType::Model, "acme/b").file("w.bin", big(200_000)));
    let c = http();
    // Lower bounds are exact; the upper bounds leave a loaded 2-core machine 10x its usual time
    // for a local request, far below the injected costs they tell apart.
    hub.add_fault(Fault::new("/api/models/acme/b", FaultKind::Delay { ms: 1500 }, 1));
    let t = Instant::now();
    assert_eq!(c.get(format!("{}/api/models/acme/b", hub.url())).send().await.unwrap().status(), 200);
    assert!(t.elapsed() >= Duration::from_millis(1500));
    let t = Instant::now();
    assert_eq!(c.get(format!("{}/api/models/acme/b", hub.url())).send().await.unwrap().status(), 200);
    assert!(t.elapsed() < Duration::from_millis(1000), "the fault fired twice: {:?}", t.elapsed());

    let loc = h(&c.head(format!("{}/acme/b/resolve/main/w.bin", hub.url())).send().await.unwrap(), "location");
    hub.set_bandwidth_limit(Some(100_000));
    let t = Instant::now();
    let mut r = c.get(&loc).send().await.unwrap();
    // Partway through, the log already shows a partial count.
    let mut got = 0;
    let mut seen_partial = false;
    while let Some(b) = r.chunk().await.unwrap() {
        got += b.len();
        let served = hub.bytes_served("/repos/");
        if served > 0 && served < 200_000 {
            seen_partial = true;
        }
    }
    assert_eq!(got, 200_000);
    assert!(seen_partial);
    assert!(t.elapsed() >= Duration::from_millis(1600), "{:?}", t.elapsed());
    hub.set_bandwidth_limit(None);
    let t = Instant::now();
    c.get(&loc).send().await.unwrap().bytes().await.unwrap();
    assert!(t.elapsed() < Duration::from_millis(1000), "still capped: {:?}", t.elapsed());
}
