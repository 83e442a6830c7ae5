-- Gatherings (see crates/domain/src/gatherings.rs). `taken` counts the
-- seats held by registered and attended registrations (guests included)
-- and is changed only under a lock on the event row, in the same
-- transaction as the registration, so capacity holds whatever races.
CREATE TABLE events (
    id @ID@,
    community_id BIGINT NOT NULL REFERENCES communities(id),
    -- The first occurrence of a recurring gathering (itself included).
    series_id BIGINT,
    template_id BIGINT,
    room_id BIGINT,
    booking_id BIGINT,
    title TEXT NOT NULL,
    starts_at BIGINT NOT NULL,
    ends_at BIGINT NOT NULL,
    capacity BIGINT,
    taken BIGINT NOT NULL DEFAULT 0,
    -- domain::gatherings::EventDef as JSON (the columns above are its copies for queries).
    def TEXT NOT NULL,
    -- The code shown at the venue for self check-in (NULL: off).
    self_code TEXT,
    -- The organizer's sign-up link for newcomers at the door (see accounts).
    signup_code TEXT,
    canceled BIGINT NOT NULL DEFAULT 0,
    -- A member's proposal waits for staff: seen by them and the proposer only.
    proposed_by BIGINT REFERENCES users(id),
    proposal_open BIGINT NOT NULL DEFAULT 0,
    -- The recap post of a past gathering.
    recap_post_id BIGINT,
    -- When no-shows were marked (the event is closed).
    closed_at BIGINT,
    created_by BIGINT NOT NULL REFERENCES users(id),
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX events_community ON events(community_id, starts_at);
CREATE INDEX events_open ON events(closed_at, ends_at);

-- Prices per ticket type from the start; paid tickets come with paid membership.
CREATE TABLE event_ticket_types (
    id @ID@,
    event_id BIGINT NOT NULL REFERENCES events(id),
    name TEXT NOT NULL,
    price BIGINT NOT NULL DEFAULT 0,
    currency TEXT NOT NULL DEFAULT 'CNY'
);
CREATE INDEX event_ticket_types_event ON event_ticket_types(event_id);

CREATE TABLE event_registrations (
    id @ID@,
    event_id BIGINT NOT NULL REFERENCES events(id),
    user_id BIGINT NOT NULL REFERENCES users(id),
    ticket_type_id BIGINT REFERENCES event_ticket_types(id),
    status TEXT NOT NULL,
    guests BIGINT NOT NULL DEFAULT 0,
    -- Answers to the registration questions (index → texts) as JSON.
    answers TEXT NOT NULL DEFAULT '{}',
    ticket_code TEXT NOT NULL,
    -- self | staff | door
    source TEXT NOT NULL DEFAULT 'self',
    via TEXT,
    -- Waitlist order: the time they (last) joined the waitlist.
    queued_at BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    checked_in_at BIGINT,
    checked_in_by BIGINT,
    rating BIGINT,
    feedback TEXT
);
CREATE UNIQUE INDEX event_registrations_once ON event_registrations(event_id, user_id);
CREATE UNIQUE INDEX event_registrations_ticket ON event_registrations(ticket_code);
CREATE INDEX event_registrations_status ON event_registrations(event_id, status, queued_at);
CREATE INDEX event_registrations_user ON event_registrations(user_id, status);

-- Hosts, co-hosts and door staff of one event.
CREATE TABLE event_staff (
    event_id BIGINT NOT NULL REFERENCES events(id),
    user_id BIGINT NOT NULL REFERENCES users(id),
    -- host | cohost | door
    role TEXT NOT NULL,
    PRIMARY KEY (event_id, user_id)
);

-- One reminder per registration and offset: claimed by the insert.
CREATE TABLE event_reminders (
    registration_id BIGINT NOT NULL REFERENCES event_registrations(id),
    minutes_before BIGINT NOT NULL,
    sent_at BIGINT NOT NULL,
    PRIMARY KEY (registration_id, minutes_before)
);

-- Gathering templates (the community's formats: a tea ceremony, a reading):
-- theme, agenda, materials, room setup, host, capacity and questions, from
-- which an event is made in one step.
CREATE TABLE event_templates (
    id @ID@,
    community_id BIGINT NOT NULL REFERENCES communities(id),
    title TEXT NOT NULL,
    -- domain::gatherings::TemplateDef as JSON.
    def TEXT NOT NULL,
    created_by BIGINT NOT NULL REFERENCES users(id),
    created_at BIGINT NOT NULL
);
CREATE INDEX event_templates_community ON event_templates(community_id);
CREATE INDEX events_template ON events(template_id, starts_at);
