//! `gator verify`-style test suites (the Gatekeeper library's `suite.yaml`).
//!
//! A suite lists tests; each test names a template and a constraint file
//! (relative to the suite's folder) and cases; each case names an object
//! file, optional inventory files, and assertions `violations: yes | no | N`
//! with an optional `message` regular expression (unanchored, as gator's Go
//! `regexp.MatchString`). A broken test or case (missing file, Rego error,
//! unknown parameter) is reported as failed with its reason; the rest of the
//! suite still runs.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::error::{Error, Result};
use crate::inventory::gatekeeper_inventory;
use crate::rego::{
    Constraint, ConstraintTemplate, admission_review_request, gator_review, is_admission_review,
    single_object,
};

/// Result of one case.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct CaseResult {
    /// Case name.
    pub name: String,
    /// Whether every assertion held (false when the case is broken).
    pub passed: bool,
    /// Whether the case was skipped (`skip: true`).
    pub skipped: bool,
    /// Why it failed.
    pub reason: Option<String>,
    /// Number of violations the object produced.
    pub violations: usize,
    /// Wall time.
    #[serde(skip)]
    pub duration: Duration,
}

/// Result of one test (a template + constraint and its cases).
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct TestResult {
    /// Test name.
    pub name: String,
    /// Whether the test was skipped.
    pub skipped: bool,
    /// Why the whole test is broken (template or constraint failed to load).
    pub error: Option<String>,
    /// Its cases.
    pub cases: Vec<CaseResult>,
    /// Notes that do not fail the test, as gator would not (parameters the
    /// template's schema does not declare).
    pub warnings: Vec<String>,
    /// Wall time.
    #[serde(skip)]
    pub duration: Duration,
}

impl TestResult {
    /// Whether the test and all its cases passed (skipped ones count as passed).
    pub fn passed(&self) -> bool {
        self.skipped || (self.error.is_none() && self.cases.iter().all(|c| c.passed || c.skipped))
    }
}

/// Result of a suite file.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct SuiteResult {
    /// The suite file.
    pub path: PathBuf,
    /// Its tests.
    pub tests: Vec<TestResult>,
    /// Wall time.
    #[serde(skip)]
    pub duration: Duration,
}

impl SuiteResult {
    /// Whether every test passed.
    pub fn passed(&self) -> bool {
        self.tests.iter().all(TestResult::passed)
    }

    /// Number of (passed, failed) cases, broken tests counting their cases as failed.
    pub fn case_counts(&self) -> (usize, usize) {
        let mut p = 0;
        let mut f = 0;
        for t in &self.tests {
            for c in &t.cases {
                if (c.passed || c.skipped) && t.error.is_none() {
                    p += 1;
                } else {
                    f += 1;
                }
            }
            if t.error.is_some() && t.cases.is_empty() {
                f += 1;
            }
        }
        (p, f)
    }

    /// A `gator verify -v`-style transcript: `=== RUN`, `--- PASS`/`--- FAIL`
    /// per test and case, then `ok`/`FAIL` with the suite path.
    pub fn render(&self) -> String {
        let mut s = String::new();
        let secs = |d: Duration| format!("{:.3}s", d.as_secs_f64());
        for t in &self.tests {
            let _ = writeln!(s, "=== RUN   {}", t.name);
            if t.skipped {
                let _ = writeln!(s, "--- SKIP: {}\t({})", t.name, secs(t.duration));
                continue;
            }
            for c in &t.cases {
                let _ = writeln!(s, "    === RUN   {}", c.name);
                let verdict = if c.skipped {
                    "SKIP"
                } else if c.passed {
                    "PASS"
                } else {
                    "FAIL"
                };
                let _ = writeln!(s, "    --- {verdict}: {}\t({})", c.name, secs(c.duration));
                if let Some(r) = &c.reason {
                    let _ = writeln!(s, "        {}", r.trim().replace('\n', "\n        "));
                }
            }
            let verdict = if t.passed() { "PASS" } else { "FAIL" };
            let _ = writeln!(s, "--- {verdict}: {}\t({})", t.name, secs(t.duration));
            for w in &t.warnings {
                let _ = writeln!(s, "    warning: {w}");
            }
            if let Some(e) = &t.error {
                let _ = writeln!(s, "    {}", e.trim().replace('\n', "\n    "));
            }
        }
        let status = if self.passed() { "ok" } else { "FAIL" };
        let _ = writeln!(
            s,
            "{status}\t{}\t{}",
            self.path.display(),
            secs(self.duration)
        );
        s
    }
}

/// `violations: yes | no | N`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Expect {
    Yes,
    No,
    Exactly(usize),
}

fn parse_expect(v: Option<&Value>) -> std::result::Result<Expect, String> {
    match v {
        None | Some(Value::Null) => Ok(Expect::Yes),
        Some(Value::Bool(true)) => Ok(Expect::Yes),
        Some(Value::Bool(false)) => Ok(Expect::No),
        Some(Value::String(s)) => match s.as_str() {
            "yes" => Ok(Expect::Yes),
            "no" => Ok(Expect::No),
            n => n
                .parse::<usize>()
                .map(Expect::Exactly)
                .map_err(|_| format!("assertion violations {n:?}: expected yes, no or a count")),
        },
        Some(Value::Number(n)) => n
            .as_u64()
            .and_then(|n| usize::try_from(n).ok())
            .map(Expect::Exactly)
            .ok_or_else(|| format!("assertion violations {n}: expected a non-negative count")),
        Some(other) => Err(format!(
            "assertion violations {other}: expected yes, no or a count"
        )),
    }
}

struct Loader<'a> {
    dir: &'a Path,
    templates: HashMap<PathBuf, std::result::Result<Arc<ConstraintTemplate>, String>>,
}

impl Loader<'_> {
    fn read(&self, rel: &str) -> std::result::Result<(String, String), String> {
        let p = self.dir.join(rel);
        let name = p.display().to_string();
        std::fs::read_to_string(&p)
            .map(|t| (name, t))
            .map_err(|e| Error::io(&p, e).to_string())
    }

    fn template(&mut self, rel: &str) -> std::result::Result<Arc<ConstraintTemplate>, String> {
        let key = self.dir.join(rel);
        if let Some(t) = self.templates.get(&key) {
            return t.clone();
        }
        let r = self.read(rel).and_then(|(name, text)| {
            ConstraintTemplate::from_yaml(&name, &text)
                .map(Arc::new)
                .map_err(|e| e.to_string())
        });
        self.templates.insert(key, r.clone());
        r
    }

    fn objects(&self, rel: &str) -> std::result::Result<Vec<Value>, String> {
        let (name, text) = self.read(rel)?;
        let docs = crate::document::parse_documents(&name, &text).map_err(|e| e.to_string())?;
        Ok(docs
            .into_iter()
            .map(crate::document::Document::into_value)
            .collect())
    }
}

/// Runs one suite file.
///
/// # Errors
/// [`Error::Io`]/[`Error::Yaml`] when the suite file itself cannot be read or
/// parsed, [`Error::InvalidField`] when it is not a `Suite` with `tests`.
/// Everything inside (missing files, bad Rego, failing assertions) is reported
/// in the result instead.
pub fn run_suite(path: &Path) -> Result<SuiteResult> {
    let start = Instant::now();
    let name = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
    let suite = single_object(&name, &text)?;
    if suite.get("kind").and_then(Value::as_str) != Some("Suite") {
        return Err(Error::field(&name, "kind", "expected Suite"));
    }
    let tests = suite
        .get("tests")
        .and_then(Value::as_array)
        .ok_or_else(|| Error::field(&name, "tests", "missing or not a list"))?;
    let dir = path.parent().unwrap_or_else(|| Path::new("."));
    let mut loader = Loader {
        dir,
        templates: HashMap::new(),
    };
    let mut results = Vec::with_capacity(tests.len());
    for (i, test) in tests.iter().enumerate() {
        results.push(run_test(&mut loader, i, test));
    }
    Ok(SuiteResult {
        path: path.to_path_buf(),
        tests: results,
        duration: start.elapsed(),
    })
}

/// Finds suite files: the path itself when it is a file, else every
/// `suite.yaml` below the folder, sorted.
///
/// # Errors
/// [`Error::Io`] when the path cannot be read.
pub fn find_suites(path: &Path) -> Result<Vec<PathBuf>> {
    Ok(crate::document::manifest_files(path)?
        .into_iter()
        .filter(|p| {
            path.is_file()
                || p.file_name()
                    .is_some_and(|n| n == "suite.yaml" || n == "suite.yml")
        })
        .collect())
}

fn run_test(loader: &mut Loader<'_>, index: usize, test: &Value) -> TestResult {
    let start = Instant::now();
    let name = test
        .get("name")
        .and_then(Value::as_str)
        .map_or_else(|| format!("test-{index}"), str::to_owned);
    let skipped = test.get("skip").and_then(Value::as_bool) == Some(true);
    let mut result = TestResult {
        name,
        skipped,
        error: None,
        cases: Vec::new(),
        warnings: Vec::new(),
        duration: Duration::ZERO,
    };
    if skipped {
        return result;
    }
    let mut warnings = Vec::new();
    let setup = (|| -> std::result::Result<(Arc<ConstraintTemplate>, Constraint), String> {
        let t_rel = test
            .get("template")
            .and_then(Value::as_str)
            .ok_or("test has no `template` file")?;
        let c_rel = test
            .get("constraint")
            .and_then(Value::as_str)
            .ok_or("test has no `constraint` file")?;
        let template = loader.template(t_rel)?;
        let (c_name, c_text) = loader.read(c_rel)?;
        let constraint = Constraint::from_yaml(&c_name, &c_text).map_err(|e| e.to_string())?;
        // As gator: wrong types fail the test, undeclared parameters do not.
        for p in constraint
            .validate_like_gator(&template)
            .map_err(|e| e.to_string())?
        {
            warnings.push(format!(
                "constraint `{}`: parameter `{p}` is not declared in the template's schema",
                constraint.name()
            ));
        }
        Ok((template, constraint))
    })();
    result.warnings = warnings;
    let cases = test.get("cases").and_then(Value::as_array);
    match setup {
        Err(e) => {
            result.error = Some(e.clone());
            for (j, case) in cases.into_iter().flatten().enumerate() {
                result.cases.push(CaseResult {
                    name: case_name(case, j),
                    passed: false,
                    skipped: false,
                    reason: Some(format!("test setup failed: {e}")),
                    violations: 0,
                    duration: Duration::ZERO,
                });
            }
        }
        Ok((template, constraint)) => {
            for (j, case) in cases.into_iter().flatten().enumerate() {
                result
                    .cases
                    .push(run_case(loader, &template, &constraint, j, case));
            }
        }
    }
    result.duration = start.elapsed();
    result
}

fn case_name(case: &Value, j: usize) -> String {
    case.get("name")
        .and_then(Value::as_str)
        .map_or_else(|| format!("case-{j}"), str::to_owned)
}

fn run_case(
    loader: &Loader<'_>,
    template: &ConstraintTemplate,
    constraint: &Constraint,
    j: usize,
    case: &Value,
) -> CaseResult {
    let start = Instant::now();
    let mut r = CaseResult {
        name: case_name(case, j),
        passed: false,
        skipped: case.get("skip").and_then(Value::as_bool) == Some(true),
        reason: None,
        violations: 0,
        duration: Duration::ZERO,
    };
    if r.skipped {
        r.passed = true;
        return r;
    }
    let outcome = (|| -> std::result::Result<usize, String> {
        let obj_rel = case
            .get("object")
            .and_then(Value::as_str)
            .ok_or("case has no `object` file")?;
        let mut objects = loader.objects(obj_rel)?;
        if objects.len() != 1 {
            return Err(format!(
                "{obj_rel}: expected exactly one object, found {}",
                objects.len()
            ));
        }
        let object = objects.pop().ok_or("no object")?;
        let mut inv_objects = Vec::new();
        for f in case
            .get("inventory")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let f = f.as_str().ok_or("inventory entries must be file paths")?;
            inv_objects.extend(loader.objects(f)?);
        }
        let inventory = gatekeeper_inventory(inv_objects.iter());
        // As gator: an AdmissionReview is reviewed as the request it carries
        // (operation, userInfo, oldObject as given); any other object as a
        // bare AdmissionRequest with no operation and no user.
        let review = if is_admission_review(&object) {
            admission_review_request(obj_rel, &object).map_err(|e| e.to_string())?
        } else {
            gator_review(&object)
        };
        let violations = template
            .review_request(constraint, &review, &inventory)
            .map_err(|e| e.to_string())?;
        let assertions = case
            .get("assertions")
            .and_then(Value::as_array)
            .ok_or("case has no `assertions`")?;
        for (k, a) in assertions.iter().enumerate() {
            let expect =
                parse_expect(a.get("violations")).map_err(|e| format!("assertion {k}: {e}"))?;
            let re = match a.get("message").and_then(Value::as_str) {
                Some(m) => Some(regex::Regex::new(m).map_err(|e| {
                    Error::Regex {
                        context: format!("assertion {k}"),
                        pattern: m.to_owned(),
                        message: e.to_string(),
                    }
                    .to_string()
                })?),
                None => None,
            };
            let n = violations
                .iter()
                .filter(|v| re.as_ref().is_none_or(|re| re.is_match(&v.msg)))
                .count();
            let ok = match expect {
                Expect::Yes => n > 0,
                Expect::No => n == 0,
                Expect::Exactly(want) => n == want,
            };
            if !ok {
                let what = match expect {
                    Expect::Yes => "at least 1".to_owned(),
                    Expect::No => "0".to_owned(),
                    Expect::Exactly(w) => w.to_string(),
                };
                let filter = re
                    .map(|r| format!(" matching {:?}", r.as_str()))
                    .unwrap_or_default();
                let msgs: Vec<&str> = violations.iter().map(|v| v.msg.as_str()).collect();
                return Err(format!(
                    "assertion {k}: got {n} violations{filter}, want {what}; messages: {msgs:?}"
                ));
            }
        }
        Ok(violations.len())
    })();
    match outcome {
        Ok(n) => {
            r.passed = true;
            r.violations = n;
        }
        Err(e) => r.reason = Some(e),
    }
    r.duration = start.elapsed();
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expectations_parse() {
        assert_eq!(parse_expect(None), Ok(Expect::Yes));
        assert_eq!(parse_expect(Some(&Value::from("no"))), Ok(Expect::No));
        assert_eq!(parse_expect(Some(&Value::from(false))), Ok(Expect::No));
        assert_eq!(parse_expect(Some(&Value::from(2))), Ok(Expect::Exactly(2)));
        assert_eq!(
            parse_expect(Some(&Value::from("3"))),
            Ok(Expect::Exactly(3))
        );
        assert!(parse_expect(Some(&Value::from("maybe"))).is_err());
        assert!(parse_expect(Some(&Value::from(-1))).is_err());
    }
}
