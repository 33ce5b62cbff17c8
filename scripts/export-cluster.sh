#!/usr/bin/env bash
# Writes the AWS CLI outputs that `ecsim import` reads, for one ECS cluster,
# into a folder. Read-only calls (Describe*/List*); region and credentials as
# for any aws command (AWS_PROFILE, AWS_REGION, ...). Needs the AWS CLI v2
# and GNU date (for the time windows); jq for the optional demand traces.
#
#   scripts/export-cluster.sh CLUSTER [FOLDER]
#   ecsim import FOLDER --out CLUSTER.toml
set -euo pipefail
cluster=${1:?usage: export-cluster.sh CLUSTER [FOLDER]}
out=${2:-$cluster-aws}
mkdir -p "$out"

aws ecs describe-clusters --clusters "$cluster" \
  --include ATTACHMENTS SETTINGS CONFIGURATIONS >"$out/describe-clusters.json"

# Services, 10 a call, and the task definition of every deployment (a
# service mid-deployment runs two revisions).
i=0
tds=""
for chunk in $(aws ecs list-services --cluster "$cluster" --query 'serviceArns[]' \
  --output text | tr '\t' '\n' | grep . | xargs -n 10 | tr ' ' ','); do
  aws ecs describe-services --cluster "$cluster" --services ${chunk//,/ } \
    >"$out/describe-services-$i.json"
  tds="$tds $(aws ecs describe-services --cluster "$cluster" --services ${chunk//,/ } \
    --query 'services[].deployments[].taskDefinition' --output text)"
  i=$((i + 1))
done
for td in $(echo $tds | tr ' \t' '\n\n' | grep . | sort -u); do
  aws ecs describe-task-definition --task-definition "$td" --include TAGS \
    >"$out/task-definition-$(basename "$td" | tr ':' '-').json"
done

# Container instances, 100 a call.
i=0
for chunk in $(aws ecs list-container-instances --cluster "$cluster" \
  --query 'containerInstanceArns[]' --output text | tr '\t' '\n' | grep . | xargs -n 100 | tr ' ' ','); do
  aws ecs describe-container-instances --cluster "$cluster" \
    --container-instances ${chunk//,/ } >"$out/describe-container-instances-$i.json"
  i=$((i + 1))
done

# The tasks running now, 100 a call: the run starts from today's placement.
i=0
for chunk in $(aws ecs list-tasks --cluster "$cluster" --desired-status RUNNING \
  --query 'taskArns[]' --output text | tr '\t' '\n' | grep . | xargs -n 100 | tr ' ' ','); do
  aws ecs describe-tasks --cluster "$cluster" --tasks ${chunk//,/ } >"$out/describe-tasks-$i.json"
  i=$((i + 1))
done

# Capacity providers and their Auto Scaling groups.
aws ecs describe-capacity-providers >"$out/describe-capacity-providers.json"
asgs=$(aws ecs describe-capacity-providers \
  --query 'capacityProviders[].autoScalingGroupProvider.autoScalingGroupArn' --output text |
  tr '\t' '\n' | sed -n 's#.*autoScalingGroupName/##p')
if [ -n "$asgs" ]; then
  aws autoscaling describe-auto-scaling-groups --auto-scaling-group-names $asgs \
    >"$out/describe-auto-scaling-groups.json"
fi

# Service Auto Scaling (every ECS service of the account and region; the
# import keeps this cluster's).
aws application-autoscaling describe-scalable-targets --service-namespace ecs \
  >"$out/describe-scalable-targets.json"
aws application-autoscaling describe-scaling-policies --service-namespace ecs \
  >"$out/describe-scaling-policies.json"
aws application-autoscaling describe-scheduled-actions --service-namespace ecs \
  >"$out/describe-scheduled-actions.json"

# Spot prices of the last day for the groups' instance types.
types=""
if [ -n "$asgs" ]; then
  types=$(aws autoscaling describe-auto-scaling-groups --auto-scaling-group-names $asgs \
    --query 'AutoScalingGroups[].MixedInstancesPolicy.LaunchTemplate.Overrides[].InstanceType' \
    --output text | tr '\t' '\n' | grep -v '^None$' | sort -u | grep . || true)
fi
if [ -n "$types" ]; then
  aws ec2 describe-spot-price-history --product-descriptions Linux/UNIX \
    --start-time "$(date -u -d '-1 day' +%Y-%m-%dT%H:%M:%SZ)" \
    --instance-types $types >"$out/describe-spot-price-history.json"
fi
# Demand traces (optional, needs jq): a day of each service's ECS CPU and,
# behind a load balancer, its target group's request count, 5-minute points.
# Ids are cpu_<service> and req_<service>, the name's other characters as _.
if command -v jq >/dev/null; then
  queries=()
  while IFS=$'\t' read -r svc tg; do
    id=$(printf '%s' "$svc" | tr -c 'a-zA-Z0-9' '_')
    queries+=("$(jq -cn --arg id "cpu_$id" --arg c "$cluster" --arg s "$svc" '{Id: $id,
      MetricStat: {Metric: {Namespace: "AWS/ECS", MetricName: "CPUUtilization",
      Dimensions: [{Name: "ClusterName", Value: $c}, {Name: "ServiceName", Value: $s}]},
      Period: 300, Stat: "Average"}}')")
    if [ -n "$tg" ]; then
      lb=$(aws elbv2 describe-target-groups --target-group-arns "$tg" \
        --query 'TargetGroups[0].LoadBalancerArns[0]' --output text)
      queries+=("$(jq -cn --arg id "req_$id" --arg tg "${tg##*:}" --arg lb "${lb#*:loadbalancer/}" '{Id: $id,
        MetricStat: {Metric: {Namespace: "AWS/ApplicationELB", MetricName: "RequestCount",
        Dimensions: [{Name: "TargetGroup", Value: $tg}, {Name: "LoadBalancer", Value: $lb}]},
        Period: 300, Stat: "Sum"}}')")
    fi
  done < <(jq -r '.services[] | [.serviceName, (.loadBalancers[0].targetGroupArn // "")] | @tsv' \
    "$out"/describe-services-*.json)
  if [ ${#queries[@]} -gt 0 ]; then
    printf '%s\n' "${queries[@]}" | jq -s . >"$out/metric-queries.txt"
    aws cloudwatch get-metric-data --metric-data-queries "file://$out/metric-queries.txt" \
      --start-time "$(date -u -d '-1 day' +%Y-%m-%dT%H:%M:%SZ)" \
      --end-time "$(date -u +%Y-%m-%dT%H:%M:%SZ)" >"$out/get-metric-data.json"
  fi
fi
echo "wrote $out; next: ecsim import $out --out $cluster.toml"
