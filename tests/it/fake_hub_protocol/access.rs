//! Tokens, private repos and gated repos.

use super::*;

#[tokio::test]
async fn whoami_and_bad_tokens() {
    let hub = hub();
    let c = http();
    let r = c.get(format!("{}/api/whoami-v2", hub.url())).bearer_auth(TOKEN).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let v: serde_json::Value = r.json().await.unwrap();
    assert_eq!(v["type"], "user");
    assert_eq!(v["name"], "alice");
    assert_eq!(v["fullname"], "alice Example");
    assert_eq!(v["orgs"][0]["name"], "acme");
    assert_eq!(v["orgs"][0]["type"], "org");
    assert_eq!(v["auth"]["type"], "access_token");
    assert_eq!(v["auth"]["accessToken"]["displayName"], "laptop");
    assert_eq!(v["auth"]["accessToken"]["role"], "write");
    for k in ["id", "email", "emailVerified", "isPro", "canPay", "avatarUrl"] {
        assert!(!v[k].is_null(), "{k}");
    }
    let r = c.get(format!("{}/api/whoami-v2", hub.url())).send().await.unwrap();
    assert_eq!(r.status(), 401);
    hub.add_repo(model("acme/m"));
    for url in ["/api/whoami-v2", "/api/models/acme/m", "/acme/m/resolve/main/config.json"] {
        let r = c.get(format!("{}{url}", hub.url())).bearer_auth("hf_nope").send().await.unwrap();
        assert_eq!(r.status(), 401, "{url}");
        assert_eq!(h(&r, "x-error-message"), "Invalid credentials in Authorization header");
        let v: serde_json::Value = r.json().await.unwrap();
        assert!(v["error"].is_string());
    }
}

#[tokio::test]
async fn private_repos_only_for_namespace_members() {
    let hub = hub();
    hub.add_repo(RepoSpec::new(RepoType::Model, "acme/p").file("a.txt", "a").private(true));
    hub.add_repo(RepoSpec::new(RepoType::Model, "bob/p").file("a.txt", "a").private(true));
    let c = http();
    let status = |path: &'static str, tok: Option<&'static str>| {
        let mut rb = c.get(format!("{}{path}", hub.url()));
        if let Some(t) = tok {
            rb = rb.bearer_auth(t);
        }
        async move {
            let r = rb.send().await.unwrap();
            (r.status().as_u16(), h(&r, "x-error-code"))
        }
    };
    assert_eq!(status("/api/models/acme/p", None).await, (401, "RepoNotFound".into()));
    assert_eq!(status("/api/models/acme/p", Some(OTHER)).await, (404, "RepoNotFound".into()));
    assert_eq!(status("/api/models/acme/p", Some(TOKEN)).await.0, 200);
    assert_eq!(status("/acme/p/resolve/main/a.txt", None).await, (401, "RepoNotFound".into()));
    assert_eq!(status("/acme/p/resolve/main/a.txt", Some(TOKEN)).await.0, 307);
    assert_eq!(status("/api/models/acme/p/tree/main", Some(OTHER)).await.0, 404);
    assert_eq!(status("/api/models/bob/p/tree/main", Some(OTHER)).await.0, 200);
    assert_eq!(status("/api/models/bob/p/refs", Some(TOKEN)).await.0, 404);
}

#[tokio::test]
async fn gated_repos_need_a_granted_user_for_files() {
    let hub = hub();
    hub.add_repo(model("meta/g").gated("manual", &["alice"]));
    let c = http();
    let get = |path: &str, tok: Option<&str>| {
        let mut rb = c.head(format!("{}{path}", hub.url()));
        if let Some(t) = tok {
            rb = rb.bearer_auth(t);
        }
        rb.send()
    };
    let v: serde_json::Value =
        c.get(format!("{}/api/models/meta/g", hub.url())).send().await.unwrap().json().await.unwrap();
    assert_eq!(v["gated"], "manual");
    assert_eq!(get("/api/models/meta/g/tree/main", None).await.unwrap().status(), 200);
    assert_eq!(get("/meta/g/resolve/main/README.md", None).await.unwrap().status(), 307);
    assert_eq!(get("/meta/g/resolve/main/.gitattributes", None).await.unwrap().status(), 307);
    let r = get("/meta/g/resolve/main/config.json", None).await.unwrap();
    assert_eq!((r.status().as_u16(), h(&r, "x-error-code")), (401, "GatedRepo".into()));
    assert!(h(&r, "x-error-message").contains("restricted"), "{}", h(&r, "x-error-message"));
    let r = get("/meta/g/resolve/main/model.safetensors", Some(OTHER)).await.unwrap();
    assert_eq!((r.status().as_u16(), h(&r, "x-error-code")), (403, "GatedRepo".into()));
    assert!(h(&r, "x-error-message").contains("not in the authorized list"));
    assert_eq!(get("/meta/g/resolve/main/model.safetensors", Some(TOKEN)).await.unwrap().status(), 302);
}
