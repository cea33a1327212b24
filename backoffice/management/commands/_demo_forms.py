"""The demo's consent and intake forms: a consent for the microcurrent and sculpting
treatments, and a general health intake for every treatment, with the rules that ask for
them. Editing a form's words here and running seed_demo again publishes a new version."""

MICROCURRENT_CONSENT = {
    "name": "Microcurrent and sculpting consent",
    "kind": "consent",
    "title": "Consent to microcurrent and sculpting treatment",
    "text": (
        "Microcurrent sends a gentle, low-level electrical current through the facial muscles; "
        "sculpting massage works deeply on the muscles and fascia, sometimes inside the mouth. "
        "Both are unsuitable with a pacemaker or other implanted electronic device, in "
        "pregnancy, with epilepsy, and within four weeks of dermal filler or anti-wrinkle "
        "injections. Mild redness or tenderness for a few hours is usual.\n\n"
        "I confirm that I have told the clinic about my health, medication and any recent "
        "injections, that I understand the treatment and its risks, and that I consent to it. "
        "I can ask for the treatment to stop at any time."
    ),
    "questions": [
        {
            "key": "understood",
            "label": "Have the treatment and its risks been explained to you?",
            "type": "yes_no",
        },
        {
            "key": "intra_oral",
            "label": "Do you consent to intra-oral (inside the mouth) work?",
            "type": "yes_no",
        },
    ],
    # Which treatments: a category, and named treatments (the sculpting massages).
    "categories": ["microcurrent"],
    "treatments": ["sculpting-massage", "sculpt-and-glow"],
    "valid_days": None,
    "new_version_needs_signature": True,
}

HEALTH_INTAKE = {
    "name": "General health intake",
    "kind": "intake",
    "title": "Health questionnaire",
    "text": (
        "Your answers help your practitioner choose a safe treatment. They are kept on your "
        "record at the clinic, seen only by its staff, and you can ask for them at any time."
    ),
    "questions": [
        {"key": "pregnant", "label": "Are you pregnant or breastfeeding?", "type": "yes_no"},
        {
            "key": "conditions",
            "label": "Do any of these apply to you?",
            "type": "conditions",
            "options": [
                {"value": "pacemaker", "label": "Pacemaker"},
                {"value": "implanted_device", "label": "Other implanted electronic device"},
                {"value": "pregnancy", "label": "Pregnancy"},
                {"value": "epilepsy", "label": "Epilepsy"},
            ],
        },
        {
            "key": "injections",
            "label": "Your last injectable treatment",
            "type": "injections",
            "options": [
                {"value": "filler", "label": "Dermal filler"},
                {"value": "botox", "label": "Botox"},
            ],
        },
        {
            "key": "medication",
            "label": "Medication you take, skin conditions, allergies",
            "type": "text",
        },
    ],
    "categories": ["facial_massage", "microcurrent", "light_therapy"],
    "treatments": [],
    "valid_days": 365,
    "new_version_needs_signature": False,
}

DEMO_FORMS = [MICROCURRENT_CONSENT, HEALTH_INTAKE]
