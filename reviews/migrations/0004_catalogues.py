"""Fill the capability catalogue and the reason codes reviewers cite."""

from django.db import migrations

CAPABILITIES = [
    ("face_detection", "Face detection", "Find faces in an image, without recognizing anyone."),
    ("face_redaction", "Face redaction", "Blur or mask faces."),
    ("face_liveness", "Liveness", "Check that a real person is in front of the camera."),
    (
        "face_verification",
        "Face verification (1:1)",
        "Is this the same person as on their own photo or enrolment?",
    ),
    (
        "face_identification",
        "Face identification (1:N)",
        "Who is this: search a face against a gallery of many people.",
    ),
    ("celebrity_recognition", "Celebrity recognition", "Recognize well-known people in media."),
    (
        "face_attributes",
        "Face attributes",
        "Infer age, gender, race or other sensitive attributes from a face.",
    ),
    (
        "emotion_recognition",
        "Emotion recognition",
        "Infer emotions or mental states from a face, voice or behaviour.",
    ),
    (
        "biometric_categorisation",
        "Biometric categorisation",
        "Sort people into categories from their biometric data.",
    ),
    ("vision_description", "Image description", "Describe images, without face recognition."),
    ("text_generation", "Text generation", "Generate text."),
    ("speech_transcription", "Speech transcription", "Turn speech into text."),
    ("speaker_recognition", "Speaker recognition", "Recognize who is speaking from their voice."),
]

REASON_CODES = [
    (
        "US-POLICE-FR",
        "Facial recognition by or for a US police department",
        "The provider's code of conduct does not allow facial recognition by or for a police "
        "department in the United States.",
    ),
    (
        "LE-MOBILE-REALTIME",
        "Real-time facial recognition on mobile cameras by law enforcement",
        "Real-time facial recognition on body-worn, dash-mounted or other mobile cameras used by law "
        "enforcement in uncontrolled settings is not allowed anywhere.",
    ),
    (
        "NO-CONSENT-ID",
        "Identification or tracking without valid consent",
        "Identifying or tracking people in real time without their valid consent is not allowed.",
    ),
    (
        "EMOTION",
        "Emotion recognition",
        "Inferring emotions or mental states from faces is not offered.",
    ),
    (
        "SENSITIVE-ATTRIBUTES",
        "Inference of sensitive attributes",
        "Inferring gender, race, age, religion or other sensitive attributes, or biometric "
        "categorisation, is not offered.",
    ),
    (
        "SCRAPED-GALLERY",
        "Untargeted collection of face images",
        "Matching against face images collected from the internet or CCTV without targeting is "
        "not allowed.",
    ),
    (
        "USE-CASE-NOT-LISTED",
        "Use case outside the approved list",
        "Face recognition is offered only for the approved use cases; this one is not among them.",
    ),
    (
        "INSUFFICIENT-INFORMATION",
        "Not enough information",
        "The application does not give enough information to show the use complies with the policy.",
    ),
    (
        "SAFEGUARDS",
        "Safeguards missing",
        "The use affects people's legal position or life opportunities without sufficient "
        "safeguards such as meaningful human review.",
    ),
]


def fill(apps, schema_editor):
    Capability = apps.get_model("reviews", "Capability")
    ReasonCode = apps.get_model("reviews", "ReasonCode")
    for order, (code, label, description) in enumerate(CAPABILITIES):
        Capability.objects.get_or_create(
            code=code, defaults={"label": label, "description": description, "order": order}
        )
    for code, title, text in REASON_CODES:
        ReasonCode.objects.get_or_create(
            code=code, defaults={"title": title, "customer_text": text}
        )


class Migration(migrations.Migration):
    dependencies = [("reviews", "0003_policy_immutability")]

    operations = [migrations.RunPython(fill, migrations.RunPython.noop)]
