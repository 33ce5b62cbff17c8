//! `ecsim import` on fixtures written from the AWS API reference shapes: a
//! cluster of three services over two Auto Scaling group capacity
//! providers (one spot), a DRAINING instance, a service mid-deployment
//! (api:41 -> api:42), a custom attribute on some instances only, and
//! scheduled actions and a step policy ecsim cannot map.

use std::path::{Path, PathBuf};

use ecsim::import::source::{leaves, under};
use ecsim::import::{import_dir, ImportOptions, Imported};
use ecsim::scenario;

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/aws-cluster")
}

fn imported(duration: &str) -> Imported {
    let opts = ImportOptions {
        duration: duration.into(),
        start: Some("2026-03-02T00:00:00Z".into()),
    };
    import_dir(&fixtures(), &opts).unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn import_validate_run_round_trip() {
    let imp = imported("6h");
    // Deterministic: the same folder gives the same text and files.
    let again = imported("6h");
    assert_eq!(imp.scenario, again.scenario);
    assert_eq!(imp.files, again.files);

    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("shop.toml");
    imp.write(&out).unwrap();
    for f in [
        "taskdefs/web-7.json",
        "taskdefs/api-42.json",
        "taskdefs/worker-3.json",
        "spot-prices.csv",
    ] {
        assert!(dir.path().join(f).is_file(), "{f} not written");
    }
    // api:41 (the ACTIVE deployment) is written: two of its tasks still run.
    assert!(dir.path().join("taskdefs/api-41.json").exists());

    let sc =
        scenario::load(&out, &[]).unwrap_or_else(|e| panic!("{:#?}\n{}", e.issues(), imp.scenario));
    let names: Vec<&str> = sc.spec.services.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["web", "api", "worker"]);
    assert_eq!(sc.spec.instance_groups.len(), 2);

    let r = ecsim::engine::Simulation::new(&sc.spec, sc.seed).run();
    // The instances the run starts with are the imported ones, by EC2 id.
    for id in [
        "i-0a11111111111111a",
        "i-0d44444444444444d",
        "i-0e55555555555555e",
    ] {
        assert!(
            r.instances.iter().any(|i| i.instance == id),
            "{id} not in the run"
        );
    }
    // Today's placement (describe-tasks): the 13 RUNNING service tasks run
    // at time zero on the EC2 ids describe-tasks names; the STOPPED
    // standalone task is not imported.
    let mut at_zero: Vec<(String, String)> = r
        .tasks
        .iter()
        .filter(|t| t.running == Some(ecsim::sim::SimTime::ZERO))
        .map(|t| {
            (
                t.instance.clone().unwrap_or_default().to_string(),
                t.family.to_string(),
            )
        })
        .collect();
    at_zero.sort();
    let want: Vec<(String, String)> = [
        ("i-0a11111111111111a", "api"),
        ("i-0a11111111111111a", "api"),
        ("i-0a11111111111111a", "web"),
        ("i-0a11111111111111a", "web"),
        ("i-0b22222222222222b", "api"),
        ("i-0b22222222222222b", "web"),
        ("i-0b22222222222222b", "web"),
        ("i-0c33333333333333c", "api"),
        ("i-0d44444444444444d", "web"),
        ("i-0d44444444444444d", "web"),
        ("i-0d44444444444444d", "worker"),
        ("i-0e55555555555555e", "worker"),
        ("i-0e55555555555555e", "worker"),
    ]
    .iter()
    .map(|(a, b)| (a.to_string(), b.to_string()))
    .collect();
    assert_eq!(at_zero, want);
    // Their instances keep the imported type and zone.
    let d = r
        .instances
        .iter()
        .find(|i| i.instance == "i-0d44444444444444d")
        .unwrap();
    assert_eq!(
        (d.instance_type.as_str(), d.az.as_str()),
        ("m5.xlarge", "us-east-1b")
    );
    // Every service reaches its imported desired count (6, 4, 3).
    for (svc, want) in r.summary.services.iter().zip([6, 4, 3]) {
        assert!(
            svc.running_at_end >= want,
            "{}: {} running, want {want}",
            svc.name,
            svc.running_at_end
        );
    }
}

#[test]
fn imported_values_keep_aws_meaning() {
    let text = imported("1d").scenario;
    let t: toml::Table = toml::from_str(&text).unwrap();
    let services = t["services"].as_array().unwrap();
    let web = &services[0];
    // The PRIMARY deployment's revision, not the ACTIVE one's.
    assert_eq!(services[1]["taskDefinition"].as_str(), Some("api:42"));
    // register-scalable-target bounds; AWS's integer cooldowns as seconds.
    let a = &web["autoScaling"];
    assert_eq!(a["minCapacity"].as_integer(), Some(4));
    assert_eq!(a["maxCapacity"].as_integer(), Some(20));
    let tt = &a["targetTracking"][0];
    assert_eq!(
        tt["metric"].as_str(),
        Some("ECSServiceAverageCPUUtilization")
    );
    assert_eq!(tt["scaleOutCooldown"].as_str(), Some("60s"));
    assert_eq!(tt["scaleInCooldown"].as_str(), Some("300s"));
    // ECS-MODEL A5: both crons are kept, the Paris one with its zone.
    let sched = a["scheduled"].as_array().unwrap();
    assert_eq!(sched.len(), 2);
    assert_eq!(
        sched[0]["schedule"].as_str(),
        Some("cron(0 7 ? * MON-FRI *)")
    );
    assert_eq!(sched[1]["timezone"].as_str(), Some("Europe/Paris"));
    // The first Monday (`2#1`) of the worker; no target tracking.
    let w = &services[2]["autoScaling"];
    assert_eq!(
        w["scheduled"][0]["schedule"].as_str(),
        Some("cron(0 6 ? * 2#1 *)")
    );
    assert_eq!(w["minCapacity"].as_integer(), Some(1));
    // ECS-MODEL C6: the strategy over two ASG capacity providers, base first.
    let cps = web["capacityProviderStrategy"].as_array().unwrap();
    assert_eq!(cps[0]["capacityProvider"].as_str(), Some("cp-ondemand"));
    assert_eq!(cps[0]["base"].as_integer(), Some(2));
    // The spot group: MixedInstancesPolicy overrides and distribution.
    let groups = t["instanceGroups"].as_array().unwrap();
    let spot = &groups[1];
    assert_eq!(spot["name"].as_str(), Some("asg-spot"));
    let types: Vec<&str> = spot["instanceTypes"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|v| v.as_str())
        .collect();
    assert_eq!(types, ["m6i.xlarge", "m5.xlarge", "c6i.xlarge"]);
    let d = &spot["instancesDistribution"];
    assert_eq!(
        d["onDemandPercentageAboveBaseCapacity"].as_integer(),
        Some(0)
    );
    assert_eq!(spot["count"].as_integer(), Some(2));
    // The capacity provider names its group from the ASG ARN.
    let cp = &t["capacityProviders"].as_array().unwrap()[1];
    assert_eq!(cp["instanceGroup"].as_str(), Some("asg-spot"));
    assert_eq!(
        cp["managedScaling"]["targetCapacity"].as_integer(),
        Some(100)
    );
    // `team` is on 2 of the 3 on-demand instances: not a group attribute
    // but theirs, with their EC2 ids (ECS-MODEL P7).
    assert!(groups[0].get("attributes").is_none());
    let seeds = groups[0]["instances"].as_array().unwrap();
    let ids: Vec<&str> = seeds
        .iter()
        .filter_map(|x| x["ec2InstanceId"].as_str())
        .collect();
    assert_eq!(
        ids,
        [
            "i-0a11111111111111a",
            "i-0b22222222222222b",
            "i-0c33333333333333c"
        ]
    );
    let teams: Vec<Option<&str>> = seeds
        .iter()
        .map(|x| x.get("attributes").and_then(|a| a["team"].as_str()))
        .collect();
    assert_eq!(teams, [Some("payments"), Some("payments"), None]);
    // ECS-MODEL W1: web's demand is its request count as a trace. 12
    // five-minute sums from 90,000 (300/s) to 172,500 (575/s); CPU is
    // rps / (160 × 6 tasks) so one task serves 160 req/s at 100% CPU.
    let d = &web["demand"];
    assert_eq!(d["type"].as_str(), Some("trace"));
    assert_eq!(d["peakRps"].as_float(), Some(575.0));
    assert_eq!(d["taskCapacityRps"].as_float(), Some(160.0));
    // api has CPU but no request count: no demand, and it says why.
    assert!(services[1].get("demand").is_none());
    assert!(text.contains("no req_api request count"));
    // Without --start, time zero is the first metric sample (22:00 UTC,
    // though CloudWatch lists the newest first).
    let opts = ImportOptions {
        duration: "1d".into(),
        start: None,
    };
    let t2: toml::Table =
        toml::from_str(&import_dir(&fixtures(), &opts).unwrap().scenario).unwrap();
    assert_eq!(t2["startTime"].as_str(), Some("2026-03-01T22:00:00Z"));
}

#[test]
fn every_fixture_field_is_mapped_or_listed() {
    let imp = imported("1d");
    let mut checked = 0;
    for src in &imp.sources {
        let text = std::fs::read_to_string(fixtures().join(&src.file)).unwrap();
        let json: serde_json::Value = serde_json::from_str(&text).unwrap();
        let unmapped = src.unmapped();
        for leaf in leaves(&json) {
            checked += 1;
            if src.is_mapped(&leaf) {
                continue;
            }
            let listed = unmapped.iter().find(|u| under(&leaf, u));
            let Some(u) = listed else {
                panic!("{}: {leaf} is neither mapped nor listed", src.file);
            };
            // Listed in the scenario's comments, not only in the report.
            assert!(
                imp.scenario
                    .lines()
                    .any(|l| l.starts_with('#') && l.contains(u.as_str())),
                "{}: {u} is not in the scenario's comments",
                src.file
            );
        }
    }
    assert!(checked > 500, "only {checked} fields");
    // What a real cluster has that ecsim cannot start from is said, with why.
    for (want, why) in [
        ("services[1].deployments[1]", "ACTIVE deployment of api:41"),
        ("ScalingPolicies[2]", "StepScaling"),
        ("tasks[13]", "STOPPED: only RUNNING tasks are imported"),
        (
            "MetricDataResults[3]",
            "not a cpu_<service>/req_<service> pair",
        ),
    ] {
        assert!(
            imp.scenario
                .lines()
                .any(|l| l.starts_with(&format!("#   {want}: ")) && l.contains(why)),
            "no reason for {want} ({why})"
        );
    }
    // D1: the DRAINING container instance is described DRAINING, not
    // listed as unmapped.
    assert!(
        imp.scenario
            .contains("ec2InstanceId = \"i-0c33333333333333c\", status = \"DRAINING\""),
        "the DRAINING instance keeps its status"
    );
    assert!(!imp
        .scenario
        .lines()
        .any(|l| l.starts_with("#   containerInstances[2].status")));
    // Fields that are mapped are not listed.
    assert!(!imp.scenario.contains("services[0].desiredCount"));
    assert!(!imp
        .scenario
        .contains("AutoScalingGroups[1].MixedInstancesPolicy.InstancesDistribution"));
}

#[test]
fn import_errors_name_the_file() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("odd.json"), r#"{"Reservations": []}"#).unwrap();
    let e = import_dir(dir.path(), &ImportOptions::default())
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("odd.json") && e.contains("describe-services"),
        "{e}"
    );
    std::fs::write(dir.path().join("odd.json"), "{ not json").unwrap();
    let e = import_dir(dir.path(), &ImportOptions::default())
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("odd.json") && e.contains("not valid JSON"),
        "{e}"
    );
    std::fs::remove_file(dir.path().join("odd.json")).unwrap();
    let e = import_dir(dir.path(), &ImportOptions::default())
        .unwrap_err()
        .to_string();
    assert!(e.contains("no describe-services"), "{e}");
}

#[test]
fn cli_import_then_validate_then_run() {
    use std::process::Command;
    let dir = tempfile::tempdir().unwrap();
    let toml = dir.path().join("shop.toml");
    let ecsim = |args: &[&str]| {
        let o = Command::new(env!("CARGO_BIN_EXE_ecsim"))
            .args(args)
            .output()
            .unwrap();
        let text =
            String::from_utf8_lossy(&o.stdout).into_owned() + &String::from_utf8_lossy(&o.stderr);
        assert!(o.status.success(), "ecsim {args:?}: {text}");
        text
    };
    let fx = fixtures();
    let said = ecsim(&[
        "import",
        fx.to_str().unwrap(),
        "--out",
        toml.to_str().unwrap(),
        "--duration",
        "2h",
    ]);
    assert!(said.contains("unmapped fields listed"), "{said}");
    let said = ecsim(&["validate", toml.to_str().unwrap()]);
    assert!(said.contains("ok (2 instance groups, 3 services"), "{said}");
    let out = dir.path().join("out");
    ecsim(&[
        "run",
        toml.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(out.join("summary.json").is_file());
}

#[test]
fn the_readme_shows_the_export_script_as_shipped() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let script = std::fs::read_to_string(root.join("scripts/export-cluster.sh")).unwrap();
    let readme = std::fs::read_to_string(root.join("README.md")).unwrap();
    assert!(
        readme.contains(&format!("```bash\n{script}```")),
        "README and scripts/export-cluster.sh differ"
    );
    let ok = std::process::Command::new("bash")
        .arg("-n")
        .arg(root.join("scripts/export-cluster.sh"))
        .status()
        .unwrap();
    assert!(ok.success());
}

#[test]
fn the_export_script_writes_a_folder_that_imports() {
    // scripts/export-cluster.sh run against a stand-in `aws` that answers
    // from the fixtures: every call it makes is one the stand-in knows, and
    // what it writes imports to the same scenario as the fixtures do
    // (describe-services and describe-container-instances in chunks).
    use std::process::Command;
    let have = |tool: &str| {
        Command::new("sh")
            .args(["-c", &format!("command -v {tool}")])
            .output()
            .is_ok_and(|o| o.status.success())
    };
    if !have("bash") || !have("jq") {
        eprintln!("skipped: needs bash and jq");
        return;
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let dir = tempfile::tempdir().unwrap();
    let folder = dir.path().join("shop-aws");
    let path = format!(
        "{}:{}",
        root.join("tests/fixtures/aws-cli-stub").display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let o = Command::new("bash")
        .arg(root.join("scripts/export-cluster.sh"))
        .arg("shop")
        .arg(&folder)
        .env("PATH", path)
        .env("FIXTURES", fixtures())
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let from_script = import_dir(&folder, &ImportOptions::default()).unwrap();
    let from_fixtures = import_dir(&fixtures(), &ImportOptions::default()).unwrap();
    let body = |t: &str| {
        t.lines()
            .filter(|l| !l.starts_with('#'))
            .collect::<Vec<_>>()
            .join("\n")
    };
    assert_eq!(body(&from_script.scenario), body(&from_fixtures.scenario));
    assert_eq!(from_script.sources.len(), from_fixtures.sources.len());
}
