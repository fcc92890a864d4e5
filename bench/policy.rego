# The seed policy of fixtures/policy/seed.json (version 2024.05.1) written by hand in Rego,
# for bench/decision.py only: the Gatehouse engine never runs Rego.
#
# Input: one facts document as in /work/shared/policy/facts.schema.json (the raw JSON,
# not the parsed dataclasses). Query `data.gatehouse.decision`, which is
# {"outcome": ..., "score": ..., "rules": [rule ids that fired, in policy order]}.
#
# The phrase lists of UNDECLARED-CAPABILITY are data, not Rego literals: bench/decision.py
# takes them from seed.json (already normalised) and builds them into the bundle as one
# regular expression per list, data.undeclared.{recognition,emotion,attributes}, such as
# " (?:face recognition|facial recognition|...) ". That is the fastest form found for
# rego-cpp 1.5.2: it rebuilds a set literal on every query (three literal sets of the 283
# phrases made the whole policy about 8x slower), a loop of contains() over the phrases as
# data was about 1.7x slower, and a bundle with a long array literal fails to verify.
#
# Simplifications, equivalent on the worked examples (all ASCII): text is normalised with
# lower() and [^a-z0-9]+ instead of NFKC + casefold + [\W_]+ (rego-cpp's regex has no
# Unicode classes), and no explanations are built (the hand-written ceiling builds none).
package gatehouse

# --- Vocabulary groups (reviews/decision/vocabulary.py) ---------------------------------

fr_capabilities := {"face_verification", "face_identification", "celebrity_recognition"}

face_processing := fr_capabilities | {
	"face_detection", "face_redaction", "face_liveness",
	"face_attributes", "emotion_recognition", "biometric_categorisation",
}

non_fr_face_processing := face_processing - fr_capabilities

law_enforcement := {"police", "federal_law_enforcement", "other_law_enforcement"}

mobile_cameras := {"body_worn", "dash_mounted", "handheld", "drone"}

approved_fr_use_cases := {
	"identity_verification", "touchless_access_control", "personalization",
	"duplicate_or_blocked_users", "media_archive_search", "public_media_archive",
	"apprehended_suspect_identification", "emergency_response",
	"humanitarian_missing_persons",
}

sensitive_attribute_capabilities := {"face_attributes", "biometric_categorisation"}

no_valid_consent := {"none", "notice_only"}

wild_environments := {"uncontrolled", "publicly_accessible"}

# --- Facts, with the schema's defaults --------------------------------------------------

capabilities := {c | some c in input.capabilities}

# The organization and everyone it acts for ("by or for").
parties := array.concat([input.organization], object.get(input, "acting_for", []))

gallery := object.get(input, "gallery", "none")

consequential := count(object.get(input, "consequential_decisions", [])) > 0

fr if count(capabilities & fr_capabilities) > 0

le_party if {
	some party in parties
	party.type in law_enforcement
}

real_time_in_the_wild if {
	input.deployment.real_time == true
	input.deployment.environment in wild_environments
}

# --- Rules, in policy order ---------------------------------------------------------------

default us_police_fr := false

us_police_fr if {
	fr
	some party in parties
	party.type == "police"
	party.country == "US"
}

default le_mobile_realtime := false

le_mobile_realtime if {
	fr
	le_party
	real_time_in_the_wild
	input.deployment.camera in mobile_cameras
}

default realtime_id_no_consent := false

realtime_id_no_consent if {
	"face_identification" in capabilities
	real_time_in_the_wild
	input.consent in no_valid_consent
}

realtime_id_no_consent if {
	input.use_case == "surveillance_or_tracking"
	input.consent != "explicit"
}

default emotion := false

emotion if {
	"emotion_recognition" in capabilities
	input.use_case != "accessibility"
}

default emotion_accessibility := false

emotion_accessibility if {
	"emotion_recognition" in capabilities
	input.use_case == "accessibility"
}

default sensitive_attributes := false

sensitive_attributes if count(capabilities & sensitive_attribute_capabilities) > 0

default scraped_gallery := false

scraped_gallery if {
	fr
	gallery == "scraped_web"
}

prohibited_fired if us_police_fr
prohibited_fired if le_mobile_realtime
prohibited_fired if realtime_id_no_consent
prohibited_fired if emotion
prohibited_fired if sensitive_attributes
prohibited_fired if scraped_gallery

default le_fr_review := false

le_fr_review if {
	fr
	le_party
	not prohibited_fired
}

default le_face_processing := false

le_face_processing if {
	le_party
	count(capabilities & non_fr_face_processing) > 0
}

default fr_use_case_not_listed := false

fr_use_case_not_listed if {
	fr
	not input.use_case in approved_fr_use_cases
}

default id_without_consent := false

id_without_consent if {
	"face_identification" in capabilities
	input.consent in no_valid_consent
	not realtime_id_no_consent
}

default mandatory_enrolment := false

mandatory_enrolment if {
	fr
	input.consent == "mandatory"
}

default minors := false

minors if {
	count(capabilities & face_processing) > 0
	"minors" in input.data_subjects
}

default sensitive_use := false

sensitive_use if consequential

default no_human_review := false

no_human_review if {
	consequential
	input.human_review == false
}

default military := false

military if {
	some party in parties
	party.type == "military"
}

default driver_monitoring := false

driver_monitoring if input.use_case == "driver_monitoring"

default undeclared_capability := false

undeclared_capability if {
	not fr
	mentions(data.undeclared.recognition)
}

undeclared_capability if {
	not "emotion_recognition" in capabilities
	mentions(data.undeclared.emotion)
}

undeclared_capability if {
	count(capabilities & sensitive_attribute_capabilities) == 0
	mentions(data.undeclared.attributes)
}

# --- Phrase matching on the description -------------------------------------------------

# Lower-cased, every run of characters that are not letters or digits made one space,
# padded with spaces so that a phrase matches on word boundaries only.
text := concat("", [" ", trim_space(regex.replace(lower(input.description), `[^a-z0-9]+`, " ")), " "])

# `pattern` is one alternation of the phrases between spaces: " (?:face match|...) ".
mentions(pattern) if regex.match(pattern, text)

# --- The table and the decision -----------------------------------------------------------

fired := [
	["US-POLICE-FR", "prohibited", 100, us_police_fr],
	["LE-MOBILE-REALTIME", "prohibited", 100, le_mobile_realtime],
	["REALTIME-ID-NO-CONSENT", "prohibited", 100, realtime_id_no_consent],
	["EMOTION", "prohibited", 100, emotion],
	["EMOTION-ACCESSIBILITY", "escalate", 30, emotion_accessibility],
	["SENSITIVE-ATTRIBUTES", "prohibited", 100, sensitive_attributes],
	["SCRAPED-GALLERY", "prohibited", 100, scraped_gallery],
	["LE-FR-REVIEW", "escalate", 40, le_fr_review],
	["LE-FACE-PROCESSING", "escalate", 25, le_face_processing],
	["FR-USE-CASE-NOT-LISTED", "escalate", 30, fr_use_case_not_listed],
	["ID-WITHOUT-CONSENT", "escalate", 35, id_without_consent],
	["MANDATORY-ENROLMENT", "escalate", 20, mandatory_enrolment],
	["MINORS", "escalate", 30, minors],
	["SENSITIVE-USE", "escalate", 30, sensitive_use],
	["NO-HUMAN-REVIEW", "escalate", 25, no_human_review],
	["MILITARY", "escalate", 40, military],
	["DRIVER-MONITORING", "escalate", 20, driver_monitoring],
	["UNDECLARED-CAPABILITY", "escalate", 35, undeclared_capability],
]

hits := [hit | some hit in fired; hit[3]]

rules := [hit[0] | some hit in hits]

outcome := "prohibited" if {
	some hit in hits
	hit[1] == "prohibited"
} else := "escalate" if {
	count(hits) > 0
} else := "approvable"

total := sum([hit[2] | some hit in hits])

# Not min([total, 100]): rego-cpp 1.5.2's min/max/sort order numbers as text (min([30, 100])
# is 100), while the comparison operators order them right.
score := 100 if {
	outcome == "prohibited"
} else := 100 if {
	total > 100
} else := total

decision := {"outcome": outcome, "score": score, "rules": rules}
