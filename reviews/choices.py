"""Plain-language labels for the values of the facts format (facts.schema.json v1)."""

CAPABILITIES = [
    ("face_detection", "Face detection: find faces in an image, without recognizing anyone"),
    ("face_redaction", "Face redaction: blur or mask faces"),
    ("face_liveness", "Liveness: check that a real person is in front of the camera"),
    (
        "face_verification",
        "Face verification (1:1): is this the same person as on their own photo?",
    ),
    ("face_identification", "Face identification (1:N): who is this, searched against a gallery"),
    ("celebrity_recognition", "Celebrity recognition"),
    ("face_attributes", "Face attributes: infer age, gender, race or other sensitive traits"),
    ("emotion_recognition", "Emotion recognition: infer emotions or mental states"),
    ("biometric_categorisation", "Biometric categorisation of people"),
    ("vision_description", "Image description (no face recognition)"),
    ("text_generation", "Text generation"),
    ("speech_transcription", "Speech transcription"),
    ("speaker_recognition", "Speaker recognition (voice)"),
]

USE_CASES = [
    ("identity_verification", "Identity verification (opening accounts, verifying workers, exams)"),
    ("touchless_access_control", "Touchless access control (buildings, airports, stadiums)"),
    ("personalization", "Consent-based personalization on shared devices"),
    ("duplicate_or_blocked_users", "Finding duplicate or blocked users of a service"),
    ("media_archive_search", "Searching a media or entertainment archive"),
    ("public_media_archive", "Enriching a public media archive"),
    ("apprehended_suspect_identification", "Identifying a suspect already apprehended"),
    ("emergency_response", "Emergencies with imminent danger to life"),
    ("humanitarian_missing_persons", "Humanitarian aid, search and rescue, missing persons"),
    ("watchlist_alerting", "Watchlist alerting"),
    ("surveillance_or_tracking", "Surveillance or tracking of individuals"),
    ("marketing_analytics", "Marketing analytics"),
    ("candidate_or_employee_assessment", "Assessing job candidates or employees"),
    ("research", "Research"),
    ("accessibility", "Accessibility"),
    ("content_generation", "Content generation"),
    ("document_processing", "Document processing"),
    ("driver_monitoring", "Driver monitoring"),
    ("other", "Other"),
]

CAMERAS = [
    ("none", "No camera: uploaded or archived media"),
    ("fixed", "Fixed camera"),
    ("body_worn", "Body-worn camera"),
    ("dash_mounted", "Dash-mounted camera"),
    ("handheld", "Handheld camera"),
    ("drone", "Drone"),
    ("user_device", "The person's own phone or webcam"),
]

ENVIRONMENTS = [
    (
        "controlled",
        "Controlled: confined setting with known participants (office gate, booking room)",
    ),
    ("publicly_accessible", "Publicly accessible: a venue or space open to the public"),
    ("uncontrolled", "Uncontrolled: 'in the wild' (streets, patrol)"),
    ("not_applicable", "Not applicable: no physical capture"),
]

GALLERIES = [
    ("none", "None: no matching"),
    ("enrolled_with_consent", "People who chose to enrol"),
    ("identity_documents", "The person's own ID document photo"),
    ("suspects_or_inmates", "Suspects or prior inmates (mugshots, arrest records)"),
    ("watchlist", "A watchlist of people who did not enrol"),
    ("scraped_web", "Images collected from the internet or CCTV without targeting"),
    ("media_archive", "Broadcast or historical footage"),
    ("other", "Other"),
]

DATA_SUBJECTS = [
    ("employees", "Employees"),
    ("customers", "Customers"),
    ("general_public", "The general public"),
    ("minors", "Minors (under 18)"),
    ("suspects", "Suspects"),
    ("detainees_or_inmates", "Detainees or inmates"),
    ("patients", "Patients"),
    ("students", "Students"),
    ("job_applicants", "Job applicants"),
    ("research_participants", "Research participants"),
    ("travellers", "Travellers"),
    ("historical_figures", "Historical figures"),
    ("other", "Other"),
]

CONSENT = [
    ("explicit", "Explicit consent"),
    ("opt_in_with_alternative", "Voluntary opt-in, with a non-biometric alternative"),
    ("mandatory", "Mandatory: enrolment is a condition, no alternative"),
    ("notice_only", "Notice only (signs, privacy notice)"),
    ("none", "None"),
    ("not_applicable", "Not applicable"),
]

CONSEQUENTIAL_DECISIONS = [
    ("legal", "Legal position"),
    ("employment", "Employment"),
    ("credit", "Credit"),
    ("housing", "Housing"),
    ("education", "Education"),
    ("healthcare", "Healthcare"),
    ("insurance", "Insurance"),
    ("benefits", "Benefits"),
    ("access_to_services", "Access to services"),
]
