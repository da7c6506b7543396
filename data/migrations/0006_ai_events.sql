-- AI calls and feedback (dashboard/insights). One ai_events row (0001) is one AI call: an
-- insight generation's kind, provider, model, latency, tokens, estimated cost and outcome
-- (ok, grounding_failure, malformed, rate_limited, server_error, timeout, error, offline).
-- Its details live beside it, keyed by the event's source_id, so ai_events keeps the canonical
-- column order that ingest appends by position.
CREATE TABLE ai_event_details (
    workspace_id BIGINT NOT NULL, event_id VARCHAR NOT NULL,
    input_tokens BIGINT, output_tokens BIGINT,
    fallback BOOLEAN NOT NULL,            -- the offline text was shown instead (all or part)
    grounding_failures BIGINT NOT NULL,   -- generated texts discarded for an unknown number
    insights BIGINT,                      -- insights narrated in the call
    note VARCHAR                          -- why it fell back, without secrets
);

-- One vote per user and insight (the latest wins): +1 useful, -1 not useful.
CREATE TABLE insight_feedback (
    workspace_id BIGINT NOT NULL, insight_id VARCHAR NOT NULL, user_id BIGINT NOT NULL,
    vote SMALLINT NOT NULL, insight_type VARCHAR, metric VARCHAR, provider VARCHAR,
    created_at TIMESTAMP NOT NULL
);
