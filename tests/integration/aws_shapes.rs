//! AWS JSON accepted as-is where AWS has a shape (issue 14, item 3):
//! services from `create-service` / `describe-services` JSON; AWS's
//! unmodelled fields are listed once as ignored, never errors.

use std::path::Path;

use ecsim::scenario;

fn write(dir: &Path, name: &str, text: &str) {
    std::fs::write(dir.join(name), text).unwrap();
}

const BASE: &str = r#"
name = "shapes"
duration = "1h"
[[instanceGroups]]
name = "g"
instanceTypes = ["m6i.xlarge"]
availabilityZones = ["us-east-1a", "us-east-1b"]
count = 4
[[taskDefinitions]]
family = "web"
containerDefinitions = [{ name = "app", image = "web:1", cpu = 512, memory = 1024 }]
"#;

/// `aws ecs create-service --cli-input-json` input.
const CREATE_SERVICE: &str = r#"{
    "cluster": "shop",
    "serviceName": "web",
    "taskDefinition": "arn:aws:ecs:us-east-1:111122223333:task-definition/web:7",
    "desiredCount": 3,
    "launchType": "EC2",
    "placementStrategy": [
        { "type": "spread", "field": "attribute:ecs.availability-zone" },
        { "type": "binpack", "field": "memory" }
    ],
    "deploymentConfiguration": {
        "maximumPercent": 200,
        "minimumHealthyPercent": 50,
        "deploymentCircuitBreaker": { "enable": true, "rollback": true },
        "alarms": { "alarmNames": [], "enable": false, "rollback": false }
    },
    "healthCheckGracePeriodSeconds": 60,
    "schedulingStrategy": "REPLICA",
    "deploymentController": { "type": "ECS" },
    "enableECSManagedTags": true,
    "propagateTags": "SERVICE",
    "enableExecuteCommand": false,
    "tags": [{ "key": "team", "value": "web" }]
}"#;

fn load(dir: &Path, text: &str) -> Result<scenario::Scenario, Vec<String>> {
    let path = dir.join("s.toml");
    write(dir, "s.toml", text);
    scenario::load(&path, &[]).map_err(|e| e.issues())
}

#[test]
fn a_service_from_create_service_json_runs_as_inline_d1() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "web.json", CREATE_SERVICE);
    let from_file = format!("{BASE}[[services]]\nfile = \"web.json\"\n");
    let sc = load(dir.path(), &from_file).unwrap_or_else(|e| panic!("{e:#?}"));
    // The same service written inline, in ecsim's TOML.
    let inline = format!(
        "{BASE}[[services]]\nserviceName = \"web\"\ntaskDefinition = \"web:7\"\ndesiredCount = 3\n\
         launchType = \"EC2\"\nplacementStrategy = [{{ type = \"spread\", field = \"attribute:ecs.availability-zone\" }}, \
         {{ type = \"binpack\", field = \"memory\" }}]\n\
         deploymentConfiguration = {{ maximumPercent = 200, minimumHealthyPercent = 50, \
         deploymentCircuitBreaker = {{ enable = true, rollback = true }} }}\n"
    );
    let sc2 = load(dir.path(), &inline).unwrap_or_else(|e| panic!("{e:#?}"));
    assert_eq!(
        format!("{:?}", sc.spec.services),
        format!("{:?}", sc2.spec.services)
    );
    // ECS-MODEL D1: minimumHealthyPercent 50 of 3 is read from the file.
    let r = ecsim::engine::Simulation::new(&sc.spec, 1).run();
    assert_eq!(r.summary.services[0].running_at_end, 3);
    // AWS fields not modelled: listed once, by file, not errors.
    for f in [
        "services[0].cluster",
        "services[0].healthCheckGracePeriodSeconds",
        "services[0].tags",
        "services[0].deploymentConfiguration.alarms",
    ] {
        assert!(sc.ignored.iter().any(|i| i == f), "{f}: {:?}", sc.ignored);
    }
    // Listed once: the inline service has none of them.
    assert!(sc2.ignored.is_empty(), "{:?}", sc2.ignored);
}

#[test]
fn a_service_from_describe_services_or_its_wrapper() {
    let dir = tempfile::tempdir().unwrap();
    // create-service's output wraps it; describe-services adds state.
    let described = CREATE_SERVICE.replacen(
        "\"cluster\": \"shop\",",
        "\"serviceArn\": \"arn:aws:ecs:us-east-1:111122223333:service/shop/web\", \
         \"status\": \"ACTIVE\", \"runningCount\": 3, \"pendingCount\": 0, \
         \"deployments\": [{ \"id\": \"ecs-svc/1\", \"status\": \"PRIMARY\", \"taskDefinition\": \"web:7\" }], \
         \"events\": [], \"createdAt\": \"2026-03-01T10:00:00.000000+00:00\",",
        1,
    );
    write(
        dir.path(),
        "web.json",
        &format!("{{\"service\": {described}}}"),
    );
    // Keys beside `file` add to and override the file's.
    let text = format!(
        "{BASE}[[services]]\nfile = \"web.json\"\ndesiredCount = 2\n\
         demand = {{ type = \"constant\", rps = 10, taskCapacityRps = 100 }}\n"
    );
    let sc = load(dir.path(), &text).unwrap_or_else(|e| panic!("{e:#?}"));
    match &sc.spec.services[0].kind {
        ecsim::engine::ServiceKind::Replica { desired, .. } => assert_eq!(*desired, 2),
        other => panic!("{other:?}"),
    }
    assert!(sc.spec.services[0].demand.is_some());
    for f in [
        "web.json: deployments",
        "web.json: events",
        "web.json: runningCount",
    ] {
        assert!(sc.ignored.iter().any(|i| i == f), "{f}: {:?}", sc.ignored);
    }
    // A whole describe-services output is refused with what to do.
    write(
        dir.path(),
        "all.json",
        &format!("{{\"services\": [{described}], \"failures\": []}}"),
    );
    let e = load(
        dir.path(),
        &format!("{BASE}[[services]]\nfile = \"all.json\"\n"),
    )
    .unwrap_err();
    assert!(
        e.iter()
            .any(|m| m.contains("services[0].file") && m.contains("one element")),
        "{e:?}"
    );
    // A misspelt field inside the file is still an error.
    write(
        dir.path(),
        "bad.json",
        &CREATE_SERVICE.replace("desiredCount", "desiredCont"),
    );
    let e = load(
        dir.path(),
        &format!("{BASE}[[services]]\nfile = \"bad.json\"\n"),
    )
    .unwrap_err();
    assert!(
        e.iter()
            .any(|m| m.contains("desiredCont") && m.contains("desiredCount")),
        "{e:?}"
    );
}

/// `aws application-autoscaling register-scalable-target --cli-input-json`.
const SCALABLE_TARGET: &str = r#"{
    "ServiceNamespace": "ecs",
    "ResourceId": "service/shop/web",
    "ScalableDimension": "ecs:service:DesiredCount",
    "MinCapacity": 2,
    "MaxCapacity": 12,
    "SuspendedState": { "DynamicScalingInSuspended": false, "DynamicScalingOutSuspended": false, "ScheduledScalingSuspended": false },
    "Tags": { "team": "web" }
}"#;

/// `aws application-autoscaling put-scaling-policy --cli-input-json`:
/// integer cooldowns, as AWS writes them.
const TARGET_TRACKING: &str = r#"{
    "PolicyName": "web-cpu60",
    "ServiceNamespace": "ecs",
    "ResourceId": "service/shop/web",
    "ScalableDimension": "ecs:service:DesiredCount",
    "PolicyType": "TargetTrackingScaling",
    "TargetTrackingScalingPolicyConfiguration": {
        "TargetValue": 60.0,
        "PredefinedMetricSpecification": { "PredefinedMetricType": "ECSServiceAverageCPUUtilization" },
        "ScaleOutCooldown": 60,
        "ScaleInCooldown": 300,
        "DisableScaleIn": false
    }
}"#;

const STEP: &str = r#"{
    "PolicyName": "web-step",
    "ServiceNamespace": "ecs",
    "ResourceId": "service/shop/web",
    "ScalableDimension": "ecs:service:DesiredCount",
    "PolicyType": "StepScaling",
    "StepScalingPolicyConfiguration": {
        "AdjustmentType": "ChangeInCapacity",
        "StepAdjustments": [
            { "MetricIntervalLowerBound": 0.0, "MetricIntervalUpperBound": 15.0, "ScalingAdjustment": 1 },
            { "MetricIntervalLowerBound": 15.0, "ScalingAdjustment": 3 }
        ],
        "Cooldown": 120,
        "MetricAggregationType": "Average"
    }
}"#;

/// `aws application-autoscaling put-scheduled-action --cli-input-json`.
const SCHEDULED: &str = r#"{
    "ServiceNamespace": "ecs",
    "ScheduledActionName": "morning",
    "ResourceId": "service/shop/web",
    "ScalableDimension": "ecs:service:DesiredCount",
    "Schedule": "cron(0 7 ? * MON-FRI *)",
    "Timezone": "Etc/UTC",
    "StartTime": "2026-01-01T00:00:00Z",
    "ScalableTargetAction": { "MinCapacity": 6 }
}"#;

#[test]
fn scaling_in_application_auto_scaling_json_a1_a4_a5() {
    let dir = tempfile::tempdir().unwrap();
    for (f, t) in [
        ("target.json", SCALABLE_TARGET),
        ("cpu.json", TARGET_TRACKING),
        ("step.json", STEP),
        ("morning.json", SCHEDULED),
    ] {
        write(dir.path(), f, t);
    }
    let svc = "[[services]]\nserviceName = \"web\"\ntaskDefinition = \"web\"\ndesiredCount = 3\n";
    let aws = format!(
        "{BASE}{svc}autoScaling = {{ scalableTarget = \"target.json\", policies = [\"cpu.json\", \
         {{ file = \"step.json\", metric = \"ECSServiceAverageMemoryUtilization\", threshold = 70 }}], \
         scheduledActions = [\"morning.json\"] }}\n"
    );
    let ours = format!(
        "{BASE}{svc}autoScaling = {{ minCapacity = 2, maxCapacity = 12, \
         targetTracking = [{{ metric = \"ECSServiceAverageCPUUtilization\", targetValue = 60.0, \
         scaleOutCooldown = \"60s\", scaleInCooldown = \"5m\", disableScaleIn = false }}], \
         stepScaling = [{{ metric = \"ECSServiceAverageMemoryUtilization\", threshold = 70, \
         adjustmentType = \"ChangeInCapacity\", cooldown = \"2m\", \
         steps = [{{ lower = 0.0, upper = 15.0, adjustment = 1 }}, {{ lower = 15.0, adjustment = 3 }}] }}], \
         scheduled = [{{ schedule = \"cron(0 7 ? * MON-FRI *)\", minCapacity = 6 }}] }}\n"
    );
    let a = load(dir.path(), &aws).unwrap_or_else(|e| panic!("{e:#?}"));
    let b = load(dir.path(), &ours).unwrap_or_else(|e| panic!("{e:#?}"));
    let (sa, sb) = (&a.spec.services[0], &b.spec.services[0]);
    assert_eq!(format!("{:?}", sa.scaling), format!("{:?}", sb.scaling));
    assert_eq!(format!("{:?}", sa.scheduled), format!("{:?}", sb.scheduled));
    assert!(sa.scaling.is_some() && sa.scheduled.len() == 1);
    for f in [
        "cpu.json: services[0].autoScaling.policies[0].PolicyName",
        "target.json: services[0].autoScaling.scalableTarget.Tags",
        "step.json: services[0].autoScaling.policies[1].StepScalingPolicyConfiguration.MetricAggregationType",
        "morning.json: services[0].autoScaling.scheduledActions[0].StartTime",
    ] {
        assert!(a.ignored.iter().any(|i| i == f), "{f}: {:?}", a.ignored);
    }
    // Integer seconds are whole seconds in ecsim's own keys too (A1).
    let ints = ours
        .replace("\"60s\"", "60")
        .replace("\"5m\"", "300")
        .replace("\"2m\"", "120");
    let c = load(dir.path(), &ints).unwrap_or_else(|e| panic!("{e:#?}"));
    assert_eq!(
        format!("{:?}", c.spec.services[0].scaling),
        format!("{:?}", sb.scaling)
    );

    // A time zone (A5): 07:00 in Paris is 06:00 UTC in winter; the next
    // weekday after Sunday 2026-03-01 is Monday the 2nd.
    write(
        dir.path(),
        "paris.json",
        &SCHEDULED.replace("Etc/UTC", "Europe/Paris"),
    );
    let paris = load(dir.path(), &aws.replace("morning.json", "paris.json"))
        .unwrap_or_else(|e| panic!("{e:#?}"));
    let monday_0600 = 1_772_409_600 + 6 * 3600; // 2026-03-02 (day 20,514) 06:00Z
    assert_eq!(
        paris.spec.services[0].scheduled[0].next_after(1_772_323_200),
        Some(monday_0600)
    );

    // Errors name the field: an unknown time zone, a misspelt AWS field, a
    // bound given twice.
    write(
        dir.path(),
        "mars.json",
        &SCHEDULED.replace("Etc/UTC", "Mars/Olympus"),
    );
    write(
        dir.path(),
        "typo.json",
        &TARGET_TRACKING.replace("TargetValue", "TargetValeu"),
    );
    for (bad, want) in [
        (
            aws.replace("morning.json", "mars.json"),
            "scheduled[0].timezone",
        ),
        (aws.replace("\"cpu.json\"", "\"typo.json\""), "TargetValeu"),
        (
            aws.replace("scalableTarget = ", "minCapacity = 1, scalableTarget = "),
            "scalableTarget.MinCapacity",
        ),
    ] {
        let e = load(dir.path(), &bad).unwrap_err();
        assert!(e.iter().any(|m| m.contains(want)), "{want}: {e:#?}");
    }
}

/// `aws autoscaling create-auto-scaling-group --cli-input-json`.
const CREATE_ASG: &str = r#"{
    "AutoScalingGroupName": "asg-spot",
    "MixedInstancesPolicy": {
        "LaunchTemplate": {
            "LaunchTemplateSpecification": { "LaunchTemplateName": "ecs-spot", "Version": "$Latest" },
            "Overrides": [
                { "InstanceType": "m6i.xlarge", "WeightedCapacity": "1" },
                { "InstanceType": "m5.xlarge" },
                { "InstanceType": "c6i.xlarge" }
            ]
        },
        "InstancesDistribution": {
            "OnDemandBaseCapacity": 1,
            "OnDemandPercentageAboveBaseCapacity": 25,
            "SpotAllocationStrategy": "price-capacity-optimized"
        }
    },
    "MinSize": 1,
    "MaxSize": 10,
    "DesiredCapacity": 4,
    "AvailabilityZones": ["us-east-1a", "us-east-1b"],
    "CapacityRebalance": true,
    "DefaultCooldown": 300,
    "HealthCheckType": "EC2",
    "VPCZoneIdentifier": "subnet-0aa11bb22cc33dd44,subnet-0ee55ff66aa77bb88",
    "NewInstancesProtectedFromScaleIn": true,
    "Tags": [{ "Key": "AmazonECSManaged", "Value": "", "PropagateAtLaunch": true }]
}"#;

/// `aws ecs create-capacity-provider --cli-input-json`.
const CREATE_CP: &str = r#"{
    "name": "cp-spot",
    "autoScalingGroupProvider": {
        "autoScalingGroupArn": "arn:aws:autoscaling:us-east-1:111122223333:autoScalingGroup:7c4d1e2f-8a9b-4c3d-b2e1-5f6a7b8c9d0e:autoScalingGroupName/asg-spot",
        "managedScaling": { "status": "ENABLED", "targetCapacity": 90, "minimumScalingStepSize": 1, "maximumScalingStepSize": 4, "instanceWarmupPeriod": 180 },
        "managedTerminationProtection": "ENABLED",
        "managedDraining": "ENABLED"
    },
    "tags": [{ "key": "team", "value": "platform" }]
}"#;

#[test]
fn groups_and_capacity_providers_in_aws_json_s6_c1() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "asg.json", CREATE_ASG);
    write(dir.path(), "cp.json", CREATE_CP);
    let tail = "[[taskDefinitions]]\nfamily = \"web\"\n\
        containerDefinitions = [{ name = \"app\", image = \"web:1\", cpu = 512, memory = 1024 }]\n\
        [[services]]\nserviceName = \"web\"\ntaskDefinition = \"web\"\ndesiredCount = 6\n\
        capacityProviderStrategy = [{ capacityProvider = \"cp-spot\", weight = 1 }]\n";
    let head = "name = \"shapes\"\nduration = \"2h\"\n";
    let aws = format!(
        "{head}[[instanceGroups]]\nfile = \"asg.json\"\n[[capacityProviders]]\nfile = \"cp.json\"\n{tail}"
    );
    let ours = format!(
        "{head}[[instanceGroups]]\nname = \"asg-spot\"\nminSize = 1\nmaxSize = 10\ncount = 4\n\
         availabilityZones = [\"us-east-1a\", \"us-east-1b\"]\ncapacityRebalance = true\n\
         instanceTypes = [\"m6i.xlarge\", \"m5.xlarge\", \"c6i.xlarge\"]\n\
         instancesDistribution = {{ onDemandBaseCapacity = 1, onDemandPercentageAboveBaseCapacity = 25, \
         spotAllocationStrategy = \"price-capacity-optimized\" }}\n\
         [[capacityProviders]]\nname = \"cp-spot\"\ninstanceGroup = \"asg-spot\"\n\
         managedScaling = {{ status = \"ENABLED\", targetCapacity = 90, minimumScalingStepSize = 1, \
         maximumScalingStepSize = 4, instanceWarmupPeriod = 180 }}\n\
         managedTerminationProtection = \"ENABLED\"\nmanagedDraining = \"ENABLED\"\n{tail}"
    );
    let a = load(dir.path(), &aws).unwrap_or_else(|e| panic!("{e:#?}"));
    let b = load(dir.path(), &ours).unwrap_or_else(|e| panic!("{e:#?}"));
    assert_eq!(format!("{:?}", a.spec), format!("{:?}", b.spec));
    let r = ecsim::engine::Simulation::new(&a.spec, 1).run();
    assert_eq!(r.summary.services[0].running_at_end, 6);
    for f in [
        "asg.json: instanceGroups[0].VPCZoneIdentifier",
        "asg.json: instanceGroups[0].Tags",
        "asg.json: instanceGroups[0].MixedInstancesPolicy.LaunchTemplate.Overrides[0].WeightedCapacity",
        "cp.json: capacityProviders[0].tags",
    ] {
        assert!(a.ignored.iter().any(|i| i == f), "{f}: {:?}", a.ignored);
    }
    // Inline PascalCase works too, and `--set` reaches the translated group.
    let inline = ours.replacen(
        "name = \"asg-spot\"\nminSize = 1\nmaxSize = 10\ncount = 4\n",
        "AutoScalingGroupName = \"asg-spot\"\nMinSize = 1\nMaxSize = 10\nDesiredCapacity = 4\n",
        1,
    );
    let path = dir.path().join("s.toml");
    write(dir.path(), "s.toml", &inline);
    let c = scenario::load(&path, &["instanceGroups.asg-spot.count=5".into()])
        .unwrap_or_else(|e| panic!("{:#?}", e.issues()));
    assert_eq!(c.spec.instance_groups[0].count, 5);
    // A misspelt AWS field is an error with the closest name.
    write(
        dir.path(),
        "asg.json",
        &CREATE_ASG.replace("DesiredCapacity", "DesiredCapcity"),
    );
    let e = load(dir.path(), &aws).unwrap_err();
    assert!(
        e.iter()
            .any(|m| m.contains("DesiredCapcity") && m.contains("DesiredCapacity")),
        "{e:#?}"
    );
}

#[test]
fn two_revisions_of_one_family_side_by_side_d3() {
    // A service mid-deployment runs api:41 and api:42 (ECS-MODEL D3): both
    // revisions can be defined; `family:revision` picks one, the family
    // alone the latest, as in ECS.
    let dir = tempfile::tempdir().unwrap();
    let td = |rev: u32, cpu: u32| {
        format!(
            "[[taskDefinitions]]\nfamily = \"api\"\nrevision = {rev}\n\
             containerDefinitions = [{{ name = \"api\", image = \"api:{rev}\", cpu = {cpu}, memory = 512 }}]\n"
        )
    };
    let svc = |name: &str, td: &str| {
        format!(
            "[[services]]\nserviceName = \"{name}\"\ntaskDefinition = \"{td}\"\ndesiredCount = 1\n"
        )
    };
    let head = "name = \"revs\"\nduration = \"1h\"\n[[instanceGroups]]\nname = \"g\"\n\
                instanceTypes = [\"m6i.xlarge\"]\ncount = 2\n";
    let text = format!(
        "{head}{}{}{}{}{}",
        td(41, 256),
        td(42, 512),
        svc(
            "old",
            "arn:aws:ecs:us-east-1:111122223333:task-definition/api:41"
        ),
        svc("new", "api:42"),
        svc("latest", "api")
    );
    let sc = load(dir.path(), &text).unwrap_or_else(|e| panic!("{e:#?}"));
    let ids: Vec<u32> = sc.spec.services.iter().map(|s| s.task_def.0).collect();
    assert_eq!(ids, [0, 1, 1]);
    let r = ecsim::engine::Simulation::new(&sc.spec, 1).run();
    assert!(r.summary.services.iter().all(|s| s.running_at_end == 1));
    // A revision that is not defined names the ones that are.
    let e = load(dir.path(), &text.replace("\"api:42\"", "\"api:43\"")).unwrap_err();
    assert!(
        e.iter()
            .any(|m| m.contains("no revision 43") && m.contains("api:41, api:42")),
        "{e:#?}"
    );
    // Without revisions, one family twice is still a duplicate.
    let e = load(dir.path(), &text.replace("revision = 41\n", "")).unwrap_err();
    assert!(
        e.iter().any(|m| m.contains("duplicate family \"api\"")),
        "{e:#?}"
    );
}

#[test]
fn a_seeds_own_attributes_stay_on_it_and_launches_share_the_groups_p7() {
    // ECS-MODEL P7: one described instance of four carries team=payments;
    // the three launched beside it, of the same type in the same zone,
    // carry the group's env=prod only (launches of one type and zone share
    // their attributes; a seed's are its own).
    let dir = tempfile::tempdir().unwrap();
    let text = "name = \"fleet\"\nduration = \"1h\"\n\
        [[instanceGroups]]\nname = \"g\"\ninstanceTypes = [\"m6i.xlarge\"]\ncount = 4\n\
        availabilityZones = [\"us-east-1a\"]\nattributes = { env = \"prod\" }\n\
        instances = [{ ec2InstanceId = \"i-0a11111111111111a\", attributes = { team = \"payments\" } }]\n\
        [[taskDefinitions]]\nfamily = \"pay\"\n\
        containerDefinitions = [{ name = \"a\", image = \"pay:1\", cpu = 256, memory = 256 }]\n\
        [[services]]\nserviceName = \"pay\"\ntaskDefinition = \"pay\"\ndesiredCount = 4\n\
        placementConstraints = [{ type = \"distinctInstance\" }, \
        { type = \"memberOf\", expression = \"attribute:team == payments\" }]\n\
        [[services]]\nserviceName = \"prod\"\ntaskDefinition = \"pay\"\ndesiredCount = 4\n\
        placementConstraints = [{ type = \"distinctInstance\" }, \
        { type = \"memberOf\", expression = \"attribute:env == prod and attribute:ecs.availability-zone == us-east-1a\" }]\n";
    let sc = load(dir.path(), text).unwrap_or_else(|e| panic!("{e:#?}"));
    let r = ecsim::engine::Simulation::new(&sc.spec, 1).run();
    assert_eq!(r.instances.len(), 4);
    let running = |name: &str| {
        let s = r.summary.services.iter().find(|s| s.name == name).unwrap();
        s.running_at_end
    };
    assert_eq!(running("pay"), 1, "only the described instance is payments");
    assert_eq!(
        running("prod"),
        4,
        "every instance has the group's attributes"
    );
    let pay_on: Vec<&str> = (r.tasks.iter())
        .filter(|t| t.owner == "pay")
        .filter_map(|t| t.instance.as_deref())
        .collect();
    assert_eq!(pay_on, ["i-0a11111111111111a"]);
}

#[test]
fn single_instances_keep_their_ec2_ids_and_own_attributes_p7() {
    // ECS-MODEL P7: memberOf on a custom attribute two of a group's three
    // instances carry (PutAttributes on single instances), and on their
    // real EC2 ids, which outputs keep.
    let dir = tempfile::tempdir().unwrap();
    let text = "name = \"fleet\"\nduration = \"1h\"\n\
        [[instanceGroups]]\nname = \"g\"\ninstanceTypes = [\"m6i.xlarge\"]\ncount = 3\n\
        attributes = { env = \"prod\" }\n\
        instances = [{ ec2InstanceId = \"i-0a11111111111111a\", attributes = { team = \"payments\" } },\n\
                     { ec2InstanceId = \"i-0b22222222222222b\", attributes = { team = \"payments\" } },\n\
                     { ec2InstanceId = \"i-0c33333333333333c\" }]\n\
        [[taskDefinitions]]\nfamily = \"pay\"\n\
        containerDefinitions = [{ name = \"a\", image = \"pay:1\", cpu = 256, memory = 256 }]\n\
        [[services]]\nserviceName = \"pay\"\ntaskDefinition = \"pay\"\ndesiredCount = 3\n\
        placementConstraints = [{ type = \"distinctInstance\" }, \
        { type = \"memberOf\", expression = \"attribute:team == payments and attribute:env == prod\" }]\n";
    let sc = load(dir.path(), text).unwrap_or_else(|e| panic!("{e:#?}"));
    let r = ecsim::engine::Simulation::new(&sc.spec, 1).run();
    let ids: Vec<&str> = r.instances.iter().map(|i| i.instance.as_str()).collect();
    assert_eq!(
        ids,
        [
            "i-0a11111111111111a",
            "i-0b22222222222222b",
            "i-0c33333333333333c"
        ]
    );
    // Two instances qualify: two tasks run, on them; the third cannot place.
    assert_eq!(r.summary.services[0].running_at_end, 2);
    let mut on: Vec<&str> = r
        .tasks
        .iter()
        .filter_map(|t| t.instance.as_deref())
        .collect();
    on.sort();
    on.dedup();
    assert_eq!(on, ["i-0a11111111111111a", "i-0b22222222222222b"]);
    // ec2InstanceId constraints see the kept ids.
    let pinned = text.replace(
        "attribute:team == payments and attribute:env == prod",
        "ec2InstanceId == i-0c33333333333333c",
    );
    let sc = load(dir.path(), &pinned).unwrap_or_else(|e| panic!("{e:#?}"));
    let r = ecsim::engine::Simulation::new(&sc.spec, 1).run();
    assert_eq!(r.summary.services[0].running_at_end, 1);
    // Bad ids and too many entries are errors naming the field.
    for (bad, want) in [
        (
            text.replace("i-0c33333333333333c", "i-0a11111111111111a"),
            "duplicate instance id",
        ),
        (
            text.replace("i-0c33333333333333c", "host-3"),
            "instances[2].ec2InstanceId",
        ),
        (
            text.replace("count = 3", "count = 2"),
            "3 instances described but the group starts 2",
        ),
    ] {
        let e = load(dir.path(), &bad).unwrap_err();
        assert!(e.iter().any(|m| m.contains(want)), "{want}: {e:#?}");
    }
}

#[test]
fn step_scaling_on_a_custom_metric_trace_a5() {
    // ECS-MODEL A5: a step policy behind a custom CloudWatch alarm (an SQS
    // queue depth), the metric replayed from a trace. The depth is 0 until
    // minute 10, then 800: with threshold 500 (>=), d = 300 is in the
    // [0, 500) step, +1: 2 -> 3 at the first datapoint after minute 10.
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "queue.csv",
        "time,depth\n2026-03-02T00:00:00Z,0\n2026-03-02T00:10:00Z,800\n2026-03-02T01:00:00Z,800\n",
    );
    write(dir.path(), "step.json", STEP);
    let base = "name = \"queue\"\nduration = \"30m\"\n[[instanceGroups]]\nname = \"g\"\n\
        instanceTypes = [\"m6i.xlarge\"]\ncount = 2\n[[taskDefinitions]]\nfamily = \"w\"\n\
        containerDefinitions = [{ name = \"a\", image = \"w:1\", cpu = 256, memory = 256 }]\n\
        [[services]]\nserviceName = \"w\"\ntaskDefinition = \"w\"\ndesiredCount = 2\n";
    let ours = format!(
        "{base}autoScaling = {{ minCapacity = 1, maxCapacity = 12, stepScaling = [{{ metric = \"custom\", \
         metricTrace = {{ path = \"queue.csv\", column = \"depth\" }}, threshold = 500, cooldown = \"1h\", \
         steps = [{{ lower = 0, upper = 500, adjustment = 1 }}, {{ lower = 500, adjustment = 3 }}] }}] }}\n"
    );
    // From put-scaling-policy JSON (STEP: [0, 15) +1, [15, ∞) +3, so
    // d = 300 is +3: 2 -> 5), the alarm's side beside it.
    let aws = format!(
        "{base}autoScaling = {{ minCapacity = 1, maxCapacity = 12, policies = [{{ file = \"step.json\", \
         metric = \"custom\", metricTrace = {{ path = \"queue.csv\", column = \"depth\" }}, threshold = 500 }}] }}\n"
    );
    for (text, want) in [(ours, "2 -> 3"), (aws, "2 -> 5")] {
        let sc = load(dir.path(), &text).unwrap_or_else(|e| panic!("{e:#?}"));
        let r = ecsim::engine::Simulation::new(&sc.spec, 1).run();
        let outs: Vec<_> = r.events.iter().filter(|e| e.event == "scale-out").collect();
        let first = outs.first().unwrap_or_else(|| panic!("{:#?}", r.events));
        assert!(
            first.time_s >= 600.0 && first.time_s <= 720.0,
            "{}",
            first.time_s
        );
        assert!(first.message.contains(want), "{}", first.message);
    }
    // A custom metric needs its trace; a trace needs metric = "custom".
    let e = load(
        dir.path(),
        &format!(
            "{base}autoScaling = {{ minCapacity = 1, maxCapacity = 12, stepScaling = [{{ metric = \"custom\", \
             threshold = 500, steps = [{{ lower = 0, adjustment = 1 }}] }}] }}\n"
        ),
    )
    .unwrap_err();
    assert!(
        e.iter().any(|m| m.contains("stepScaling[0].metricTrace")),
        "{e:#?}"
    );
}
