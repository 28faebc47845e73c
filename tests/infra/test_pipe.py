"""Point 4: the EventBridge Pipe from the Messages stream to the workflow, all from SETTINGS.pipe."""

import json

from brain_core.config import SETTINGS


def pipe(synth):
    (resource,) = synth.of_type("AWS::Pipes::Pipe").values()
    return resource


def test_source_is_the_messages_stream_with_settings_parameters(default):
    props = pipe(default)["Properties"]
    messages = default.logical_id(default.stack.messages_table)
    assert props["Source"] == {"Fn::GetAtt": [messages, "StreamArn"]}
    p = SETTINGS.pipe
    stream = props["SourceParameters"]["DynamoDBStreamParameters"]
    assert stream["StartingPosition"] == p.starting_position == "LATEST"
    assert stream["BatchSize"] == p.batch_size == 1
    assert stream["MaximumBatchingWindowInSeconds"] == p.maximum_batching_window_seconds == 0
    assert stream["MaximumRetryAttempts"] == p.maximum_retry_attempts == 2
    assert stream["OnPartialBatchItemFailure"] == p.on_partial_batch_item_failure == "AUTOMATIC_BISECT"
    dlq = default.logical_id(default.stack.dead_letter_queue)
    assert stream["DeadLetterConfig"] == {"Arn": {"Fn::GetAtt": [dlq, "Arn"]}}


def test_filter_and_input_template_are_the_settings(default):
    props = pipe(default)["Properties"]
    (only,) = props["SourceParameters"]["FilterCriteria"]["Filters"]
    assert json.loads(only["Pattern"]) == SETTINGS.pipe.filter_pattern
    assert only["Pattern"] == json.dumps(SETTINGS.pipe.filter_pattern)
    target = props["TargetParameters"]
    assert target["InputTemplate"] == SETTINGS.pipe.input_template
    assert target["StepFunctionStateMachineParameters"] == {"InvocationType": SETTINGS.pipe.invocation_type}
    assert SETTINGS.pipe.invocation_type == "FIRE_AND_FORGET"


def test_target_is_the_state_machine_and_role_policy_exists_first(default):
    resource = pipe(default)
    workflow = default.logical_id(default.stack.state_machine)
    assert resource["Properties"]["Target"] == {"Ref": workflow}
    policy_id = default.logical_id(default.stack.messages_pipe.role.node.find_child("DefaultPolicy"))
    assert policy_id in resource["DependsOn"]


def test_dead_letter_queue_is_encrypted_and_ssl_only(default):
    queue_id = default.logical_id(default.stack.dead_letter_queue)
    assert default.resources[queue_id]["Properties"]["SqsManagedSseEnabled"] is True
    (policy,) = default.of_type("AWS::SQS::QueuePolicy").values()
    (statement,) = policy["Properties"]["PolicyDocument"]["Statement"]
    assert statement["Effect"] == "Deny"
    assert statement["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}


def test_pipe_role_reads_the_stream_sends_dead_letters_starts_the_workflow(default):
    stack = default.stack
    role = stack.messages_pipe.role
    statements = {s["Sid"]: s for s in default.policy_statements(role)}
    messages = default.logical_id(stack.messages_table)
    assert statements["ReadMessagesStream"]["Resource"] == {"Fn::GetAtt": [messages, "StreamArn"]}
    assert set(statements["ReadMessagesStream"]["Action"]) == {
        "dynamodb:DescribeStream",
        "dynamodb:GetRecords",
        "dynamodb:GetShardIterator",
        "dynamodb:ListStreams",
    }
    assert statements["DeadLetters"]["Action"] == "sqs:SendMessage"
    assert statements["DeadLetters"]["Resource"] == {"Fn::GetAtt": [default.logical_id(stack.dead_letter_queue), "Arn"]}
    assert statements["StartWorkflow"]["Action"] == "states:StartExecution"
    assert statements["StartWorkflow"]["Resource"] == {"Ref": default.logical_id(stack.state_machine)}
    assert set(statements) == {"ReadMessagesStream", "DeadLetters", "StartWorkflow", "PipeLogs"}
    trust = default.resources[default.logical_id(role)]["Properties"]["AssumeRolePolicyDocument"]["Statement"][0]
    assert trust["Principal"] == {"Service": "pipes.amazonaws.com"}
    assert trust["Condition"] == {"StringEquals": {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}}
