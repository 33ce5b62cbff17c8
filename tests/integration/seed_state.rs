//! Starting from today's placement: tasks already running on described
//! container instances (`instanceGroups[].instances[].tasks`).

use crate::common::{errors, run};
use ecsim::model::TaskState;
use ecsim::sim::SimTime;

fn scenario(tasks_a: &str, tasks_b: &str, desired: u32) -> String {
    format!(
        "name = \"seeded\"\nduration = \"2h\"\n[cluster]\nwarmStart = false\n\
        [[instanceGroups]]\nname = \"g\"\ninstanceTypes = [\"m6i.large\", \"m6i.xlarge\"]\ncount = 3\n\
        availabilityZones = [\"us-east-1a\", \"us-east-1b\"]\n\
        instances = [{{ ec2InstanceId = \"i-0a11111111111111a\", instanceType = \"m6i.xlarge\", availabilityZone = \"us-east-1b\", tasks = [{tasks_a}] }},\n\
                     {{ ec2InstanceId = \"i-0b22222222222222b\", instanceType = \"m6i.large\", availabilityZone = \"us-east-1b\", tasks = [{tasks_b}] }}]\n\
        [[taskDefinitions]]\nfamily = \"api\"\n\
        containerDefinitions = [{{ name = \"a\", image = \"api:1\", cpu = 512, memory = 1024, portMappings = [{{ containerPort = 80, hostPort = 8080 }}] }}]\n\
        [[taskDefinitions]]\nfamily = \"web\"\n\
        containerDefinitions = [{{ name = \"a\", image = \"web:1\", cpu = 256, memory = 512 }}]\n\
        [[services]]\nserviceName = \"api\"\ntaskDefinition = \"api\"\ndesiredCount = 1\n\
        [[services]]\nserviceName = \"web\"\ntaskDefinition = \"web\"\ndesiredCount = {desired}\n\
        availabilityZoneRebalancing = \"DISABLED\"\n"
    )
}

#[test]
fn seeded_tasks_run_at_time_zero_on_their_instances_and_desired_count_reconciles() {
    // Two web tasks on i-0a…, one on i-0b…, one api on i-0a…; desired web
    // count 5: the scheduler adds two, and does not re-place the seeded ones
    // (ECS-MODEL P1: the service scheduler keeps desiredCount tasks).
    let r = run(&scenario(
        "{ service = \"web\", count = 2 }, { service = \"api\" }",
        "{ service = \"web\", count = 1 }",
        5,
    ));
    // The described instances keep their type and zone.
    let inst = |id: &str| r.instances.iter().find(|i| i.instance == id).unwrap();
    let a = inst("i-0a11111111111111a");
    assert_eq!(
        (a.instance_type.as_str(), a.az.as_str()),
        ("m6i.xlarge", "us-east-1b")
    );
    assert_eq!(
        a.registered,
        Some(SimTime::ZERO),
        "a seeded instance is ACTIVE at t=0"
    );
    let b = inst("i-0b22222222222222b");
    assert_eq!(
        (b.instance_type.as_str(), b.az.as_str()),
        ("m6i.large", "us-east-1b")
    );
    let at_zero: Vec<(&str, &str)> = r
        .tasks
        .iter()
        .filter(|t| t.running == Some(SimTime::ZERO))
        .map(|t| (t.family.as_str(), t.instance.as_deref().unwrap_or("")))
        .collect();
    let mut sorted = at_zero.clone();
    sorted.sort();
    assert_eq!(
        sorted,
        [
            ("api", "i-0a11111111111111a"),
            ("web", "i-0a11111111111111a"),
            ("web", "i-0a11111111111111a"),
            ("web", "i-0b22222222222222b"),
        ]
    );
    let web: Vec<_> = r.tasks.iter().filter(|t| t.family == "web").collect();
    assert_eq!(web.len(), 5, "3 seeded + 2 placed, none re-placed");
    assert!(web.iter().all(|t| t.state == TaskState::Running));
    let api: Vec<_> = r.tasks.iter().filter(|t| t.family == "api").collect();
    assert_eq!(api.len(), 1, "the seeded api task counts for its service");
    // B1: billed from time zero.
    assert!(r.summary.cost.total_usd > 0.0);
}

#[test]
fn seeds_that_do_not_fit_are_errors_naming_instance_and_task() {
    // ECS-MODEL R2, R3: 20 web tasks reserve 10,240 MiB; an m6i.large registers less.
    let e = errors(&scenario("", "{ service = \"web\", count = 20 }", 1));
    assert!(
        e.iter()
            .any(|m| m.contains("instanceGroups[0].instances[1].tasks[0]")
                && m.contains("i-0b22222222222222b")
                && m.contains("web")
                && m.contains("do not fit")),
        "{e:?}"
    );
    // ECS-MODEL R4: two api tasks both want host port 8080.
    let e = errors(&scenario("{ service = \"api\", count = 2 }", "", 1));
    assert!(
        e.iter().any(|m| m.contains("i-0a11111111111111a")
            && m.contains("api")
            && m.contains("host port 8080")),
        "{e:?}"
    );
    // Unknown service, a task definition the service does not use, and a
    // type outside the group.
    let e = errors(&scenario(
        "{ service = \"nope\" }",
        "{ service = \"web\", taskDefinition = \"api\" }",
        1,
    ));
    assert!(
        e.iter()
            .any(|m| m.contains("tasks[0].service") && m.contains("unknown service \"nope\"")),
        "{e:?}"
    );
    assert!(
        e.iter()
            .any(|m| m.contains("tasks[0].taskDefinition") && m.contains("does not use")),
        "{e:?}"
    );
    let e = errors(&scenario("", "", 1).replace(
        "instanceType = \"m6i.large\"",
        "instanceType = \"c5.large\"",
    ));
    assert!(
        e.iter()
            .any(|m| m.contains("instances[1].instanceType") && m.contains("not one of")),
        "{e:?}"
    );
}

#[test]
fn a_replayed_interruption_of_a_seeded_spot_instance_replaces_its_tasks_s3() {
    // What-if on today's placement: three web tasks already run on the spot
    // instance i-0c… pinned to us-east-1b; a replayed interruption of the
    // m6i.xlarge/us-east-1b pool at 1 h kills them two minutes later
    // (ECS-MODEL S3) and the service scheduler re-places them on the
    // on-demand instance (P1). Without the AZ pin the group would start in
    // us-east-1a and the replay would find nothing to interrupt.
    let text = r#"
name = "whatif"
seed = 5
duration = "3h"
[cluster]
tieBreak = "lowest-id"
imagePullTime = "10s"
cachedStartTime = "10s"
[[instanceGroups]]
name = "spot"
instanceTypes = ["m6i.xlarge"]
availabilityZones = ["us-east-1a", "us-east-1b"]
count = 1
instancesDistribution = { onDemandPercentageAboveBaseCapacity = 0, spotAllocationStrategy = "capacity-optimized" }
launchLatency = "90s"
instances = [{ ec2InstanceId = "i-0c33333333333333c", availabilityZone = "us-east-1b", tasks = [{ service = "web", count = 3 }] }]
[[instanceGroups]]
name = "od"
instanceTypes = ["m6i.xlarge"]
availabilityZones = ["us-east-1a"]
count = 1
[[taskDefinitions]]
family = "web"
containerDefinitions = [{ name = "app", image = "web:1", cpu = 512, memory = 1024 }]
[[services]]
serviceName = "web"
taskDefinition = "web"
desiredCount = 3
# The seeded placement is the point: no AZ rebalancing (X2) moves it.
availabilityZoneRebalancing = "DISABLED"
[spot]
interruptions = "replay.csv"
[[spot.pools]]
monthlyInterruptionRate = 0.0
"#;
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(
        dir.path().join("replay.csv"),
        "time,instance_type,availability_zone,count\n1h,m6i.xlarge,us-east-1b,1\n",
    )
    .expect("write replay");
    let path = dir.path().join("s.toml");
    std::fs::write(&path, text).expect("write scenario");
    let sc = ecsim::scenario::load(&path, &[]).unwrap_or_else(|e| panic!("{e}"));
    let r = ecsim::engine::Simulation::new(&sc.spec, sc.seed).run();
    let spot = r
        .instances
        .iter()
        .find(|i| i.instance == "i-0c33333333333333c")
        .unwrap();
    assert_eq!((spot.purchase, spot.az.as_str()), ("spot", "us-east-1b"));
    let t3720 = SimTime::ZERO + ecsim::sim::SimDuration::from_secs(3720);
    assert_eq!(spot.terminated, Some(t3720));
    // The three seeded tasks: RUNNING at 0 on i-0c…, killed with it.
    let seeded: Vec<_> = r
        .tasks
        .iter()
        .filter(|t| t.running == Some(SimTime::ZERO))
        .collect();
    assert_eq!(seeded.len(), 3);
    assert!(seeded
        .iter()
        .all(|t| t.instance.as_deref() == Some("i-0c33333333333333c")
            && t.stop_reason.as_deref() == Some("InstanceTerminated")
            && t.stopped == Some(t3720)));
    // Nothing else ran before the interruption; three replacements after it.
    let others: Vec<_> = r
        .tasks
        .iter()
        .filter(|t| t.running != Some(SimTime::ZERO))
        .collect();
    assert_eq!(others.len(), 3, "{others:?}");
    assert!(others
        .iter()
        .all(|t| t.created >= t3720 && t.state == TaskState::Running));
    assert_eq!(r.summary.services[0].running_at_end, 3);
}

#[test]
fn seeded_job_tasks_run_their_drawn_duration_from_time_zero() {
    // A batch job's tasks already running on i-0a… at time zero: each runs
    // a draw of the job's duration (here a constant 30 m) and completes,
    // holding the instance's resources meanwhile (ECS-MODEL R2).
    let text = "name = \"jobs\"\nduration = \"2h\"\n\
        [[instanceGroups]]\nname = \"g\"\ninstanceTypes = [\"m6i.large\"]\ncount = 1\n\
        instances = [{ ec2InstanceId = \"i-0a11111111111111a\", tasks = [{ job = \"etl\", count = 2 }] }]\n\
        [[taskDefinitions]]\nfamily = \"etl\"\n\
        containerDefinitions = [{ name = \"a\", image = \"etl:1\", cpu = 512, memory = 1024 }]\n\
        [[batchJobs]]\nname = \"etl\"\ntaskDefinition = \"etl\"\nstart = \"90m\"\n\
        arrivals = { type = \"every\", interval = \"10h\" }\nduration = \"30m\"\n";
    let r = run(text);
    let seeded: Vec<_> = r
        .tasks
        .iter()
        .filter(|t| t.running == Some(SimTime::ZERO))
        .collect();
    assert_eq!(seeded.len(), 2, "{:?}", r.tasks);
    let done = SimTime::ZERO + ecsim::sim::SimDuration::from_secs(1800);
    assert!(
        seeded.iter().all(|t| t.owner == "etl"
            && t.instance.as_deref() == Some("i-0a11111111111111a")
            && t.stopped == Some(done)
            && t.stop_reason.as_deref() == Some("EssentialContainerExited")),
        "{seeded:?}"
    );
    // A job task that cannot fit, and an unknown job, are errors.
    let e = errors(&text.replace("count = 2", "count = 9"));
    assert!(
        e.iter().any(|m| m.contains("instances[0].tasks[0]")
            && m.contains("i-0a11111111111111a")
            && m.contains("etl")
            && m.contains("do not fit")),
        "{e:?}"
    );
    let e = errors(&text.replace("job = \"etl\"", "job = \"elt\""));
    assert!(e.iter().any(|m| m.contains("unknown job \"elt\"")), "{e:?}");
}

#[test]
fn awsvpc_seeds_beyond_the_task_enis_are_errors_r4() {
    // ECS-MODEL R4: without trunking an m6i.large (3 ENIs) holds two awsvpc
    // tasks; three seeded ones cannot be there.
    let text = |n: u32| {
        format!(
            "name = \"eni\"\nduration = \"1h\"\n\
            [[instanceGroups]]\nname = \"g\"\ninstanceTypes = [\"m6i.large\"]\ncount = 1\n\
            instances = [{{ ec2InstanceId = \"i-0a11111111111111a\", tasks = [{{ service = \"api\", count = {n} }}] }}]\n\
            [[taskDefinitions]]\nfamily = \"api\"\nnetworkMode = \"awsvpc\"\n\
            containerDefinitions = [{{ name = \"a\", image = \"api:1\", cpu = 128, memory = 128 }}]\n\
            [[services]]\nserviceName = \"api\"\ntaskDefinition = \"api\"\ndesiredCount = {n}\n"
        )
    };
    let e = errors(&text(3));
    assert!(
        e.iter().any(|m| m.contains("i-0a11111111111111a")
            && m.contains("api")
            && m.contains("3 awsvpc tasks")),
        "{e:?}"
    );
    let r = run(&text(2));
    assert_eq!(
        r.tasks
            .iter()
            .filter(|t| t.running == Some(SimTime::ZERO))
            .count(),
        2
    );
}

#[test]
fn a_seed_described_draining_drains_at_time_zero_and_its_tasks_move_d1() {
    // ECS-MODEL D1: an instance that was DRAINING when the cluster was
    // described takes no new tasks, and its service tasks are replaced on
    // other instances (minimumHealthyPercent 100 lets the replacements start
    // first); it stays registered, DRAINING.
    let text = scenario("{ service = \"web\", count = 2 }", "", 2).replace(
        "instanceType = \"m6i.xlarge\", availabilityZone = \"us-east-1b\", tasks",
        "instanceType = \"m6i.xlarge\", availabilityZone = \"us-east-1b\", status = \"DRAINING\", tasks",
    );
    assert!(text.contains("status = \"DRAINING\""));
    let r = run(&text);
    let a = r
        .instances
        .iter()
        .find(|i| i.instance == "i-0a11111111111111a")
        .unwrap();
    assert_eq!(a.draining, Some(SimTime::ZERO), "DRAINING from time zero");
    assert_eq!(
        a.terminated, None,
        "whoever drained it terminates it, not ECS"
    );
    let web: Vec<_> = r.tasks.iter().filter(|t| t.family == "web").collect();
    let seeded: Vec<_> = web
        .iter()
        .filter(|t| t.instance.as_deref() == Some("i-0a11111111111111a"))
        .collect();
    assert_eq!(seeded.len(), 2, "the two seeded tasks ran there");
    assert!(
        seeded.iter().all(|t| t.state == TaskState::Stopped),
        "and were stopped once replaced"
    );
    let running: Vec<_> = web
        .iter()
        .filter(|t| t.state == TaskState::Running)
        .collect();
    assert_eq!(running.len(), 2, "desired count kept");
    assert!(running
        .iter()
        .all(|t| t.instance.as_deref() != Some("i-0a11111111111111a")));
}

#[test]
fn a_seed_status_other_than_active_or_draining_is_an_error() {
    let text = scenario("", "", 1).replace(
        "availabilityZone = \"us-east-1b\", tasks = []",
        "availabilityZone = \"us-east-1b\", status = \"INACTIVE\", tasks = []",
    );
    let e = errors(&text);
    assert!(
        e.iter()
            .any(|m| m.contains("instances[0].status") || m.contains("instances[1].status")),
        "{e:?}"
    );
}
