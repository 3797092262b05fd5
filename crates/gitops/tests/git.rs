//! Desired state from a real git repository created with the `git` binary.
#![cfg(feature = "git")]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "test helpers panic on broken fixtures"
)]

use std::path::Path;
use std::process::Command;

use aiops_gitops::{ChangeKind, Error, GitRepo, Risk};

fn git(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .args(args)
        .current_dir(dir)
        .env("GIT_AUTHOR_NAME", "t")
        .env("GIT_AUTHOR_EMAIL", "t@example.com")
        .env("GIT_COMMITTER_NAME", "t")
        .env("GIT_COMMITTER_EMAIL", "t@example.com")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .output()
        .expect("git runs");
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}

const DEPLOY_V1: &str = "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web, namespace: shop}\nspec:\n  replicas: 2\n  template:\n    spec:\n      containers:\n      - name: web\n        image: registry.example.com/web:1.0\n";
const RBAC: &str = "kind: Role\nmetadata: {name: reader, namespace: shop}\nrules:\n- apiGroups: ['']\n  resources: [pods]\n  verbs: [get]\n---\nkind: RoleBinding\nmetadata: {name: reader, namespace: shop}\nroleRef: {kind: Role, name: reader}\n";

fn repo() -> (tempfile::TempDir, String, String) {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path();
    git(p, &["init", "-q", "-b", "main"]);
    std::fs::create_dir_all(p.join("deploy")).unwrap();
    std::fs::write(p.join("deploy/web.yaml"), DEPLOY_V1).unwrap();
    std::fs::write(p.join("deploy/rbac.yml"), RBAC).unwrap();
    std::fs::write(p.join("README.md"), "not a manifest\n").unwrap();
    git(p, &["add", "."]);
    git(p, &["commit", "-q", "-m", "v1"]);
    let c1 = git(p, &["rev-parse", "HEAD"]);
    std::fs::write(
        p.join("deploy/web.yaml"),
        DEPLOY_V1
            .replace("web:1.0", "web:1.1")
            .replace("replicas: 2", "replicas: 3"),
    )
    .unwrap();
    std::fs::write(
        p.join("deploy/rbac.yml"),
        RBAC.replace("verbs: [get]", "verbs: [get, delete]"),
    )
    .unwrap();
    git(p, &["add", "."]);
    git(p, &["commit", "-q", "-m", "v2"]);
    let c2 = git(p, &["rev-parse", "HEAD"]);
    (dir, c1, c2)
}

#[test]
fn resolves_and_validates_commit_ids() {
    let (dir, c1, c2) = repo();
    let r = GitRepo::open(dir.path()).unwrap();
    assert_eq!(r.resolve_commit(&c1).unwrap().0, c1);
    assert_eq!(r.resolve_commit(&c2[..8]).unwrap().0, c2);
    assert_eq!(
        r.resolve_commit(&c2[..8].to_ascii_uppercase()).unwrap().0,
        c2
    );
    assert_eq!(r.resolve_commit("HEAD").unwrap().0, c2);
    for bad in ["xyz123", "abc", "main", &"a".repeat(41)] {
        assert!(
            matches!(r.resolve_commit(bad), Err(Error::InvalidCommitId { .. })),
            "{bad}"
        );
    }
    // Valid hex that names nothing.
    let missing = if c1.starts_with("0000") {
        "ffff0000"
    } else {
        "0000ffff"
    };
    assert!(matches!(
        r.resolve_commit(missing),
        Err(Error::UnknownCommit { .. })
    ));
    // A tree id is not a commit.
    let tree = git(dir.path(), &["rev-parse", "HEAD^{tree}"]);
    let e = r.resolve_commit(&tree).unwrap_err();
    assert!(matches!(e, Error::UnknownCommit { .. }), "{e}");
    assert!(e.to_string().contains("not a commit"), "{e}");
    let not_repo = tempfile::tempdir().unwrap();
    assert!(matches!(
        GitRepo::open(not_repo.path()),
        Err(Error::Git { .. })
    ));
}

#[test]
fn reads_manifests_and_diffs_commits() {
    let (dir, c1, c2) = repo();
    let r = GitRepo::open(dir.path()).unwrap();
    let v1 = r.manifests_at(&c1, Some("deploy")).unwrap();
    let keys: Vec<String> = v1.iter().map(|m| m.key.to_string()).collect();
    assert_eq!(
        keys,
        vec![
            "Role/shop/reader",
            "RoleBinding/shop/reader",
            "Deployment/shop/web"
        ]
    );
    assert!(r.manifests_at(&c1, Some("elsewhere")).unwrap().is_empty());
    let impact = r.impact(&c1[..10], &c2, None).unwrap();
    assert_eq!(impact.risk, Risk::High);
    assert_eq!(impact.changes.len(), 2);
    let web = impact.changes.iter().find(|c| c.key.name == "web").unwrap();
    let ChangeKind::Changed(fields) = &web.change else {
        panic!()
    };
    let paths: Vec<&str> = fields.iter().map(|f| f.path.as_str()).collect();
    assert_eq!(
        paths,
        vec!["spec.replicas", "spec.template.spec.containers[0].image"]
    );
    assert_eq!(web.risk, Risk::Medium);
    let role = impact
        .changes
        .iter()
        .find(|c| c.key.kind == "Role")
        .unwrap();
    assert_eq!(role.risk, Risk::High);
}

#[test]
fn broken_manifest_names_commit_and_path() {
    let (dir, _, _) = repo();
    std::fs::write(dir.path().join("deploy/bad.yaml"), "kind: [unclosed\n").unwrap();
    git(dir.path(), &["add", "."]);
    git(dir.path(), &["commit", "-q", "-m", "bad"]);
    let r = GitRepo::open(dir.path()).unwrap();
    let e = r.manifests_at("HEAD", None).unwrap_err();
    assert!(
        matches!(&e, Error::Manifest { source_name, .. } if source_name.ends_with(":deploy/bad.yaml")),
        "{e}"
    );
}
