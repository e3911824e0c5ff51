"""The fixed texts of a shipped model's card: how it was trained and scored, what it is for,
and what it cannot do (training/ship.py writes them into each card)."""

PROTOCOL = (
    "Fit on FER2013 Training; choose the epoch and the sad log-prior on PublicTest with every "
    "image that has an exact pixel copy in Training removed; report PrivateTest with those "
    "copies removed (and in full). Seeds fixed. Evaluated with fer_desktop's MoodModel on "
    "LiteRT, the runtime that ships."
)
TRAINING_TARGETS = (
    "One network trained on the FER+ crowd's vote distribution over eight emotions (neutral, "
    "happiness, surprise, sadness, anger, disgust, fear, contempt) as soft targets; single "
    "votes dropped as outliers; images whose top vote is unknown or not-a-face left out."
)
TASK_DESCRIPTIONS = {
    "2class": "Scored on FER2013's own labels Happy (3) and Sad (4), as the product was first "
    "specified. Output: the network's happiness and sadness restricted and renormalised.",
    "3class": "Scored on the FER+ crowd-vote majority among happiness / neutral / sadness "
    "(images with a tied or other majority, or voted not-a-face, are left out). Output: the "
    "network's happiness, neutral and sadness restricted and renormalised.",
    "8class": "Scored on the FER+ crowd-vote majority over the eight emotions (images with a "
    "tied majority, or voted not-a-face, are left out). Output: the network's eight emotions "
    "as they are, no prior. Disgust and contempt have a few dozen test faces each, so their "
    "recall is a rough figure.",
}
INTENDED_USE = (
    "Describing the look of faces in video, live or recorded, on the user's own machine: "
    "playtest observation, driving-simulator research, and reviewing recordings whose subjects "
    "consented. The label describes how a face looks, not what the person feels."
)
OUT_OF_SCOPE = (
    "Decisions about people (hiring, grading, appraisal, policing, credit, medical diagnosis); "
    "emotion recognition in workplaces or education, prohibited in the EU by the AI Act, "
    "Art. 5(1)(f), except for medical or safety reasons; recording people who have not agreed; "
    "faces far from frontal, very small, or partly hidden (see accuracy by condition)."
)
LIMITATIONS = [
    "FER2013 is web-scraped, mostly posed and frontal; it records no age, sex or skin tone, so "
    "nobody can say how the model does for any group of people.",
    "FER+ raters disagree most on sad versus neutral: many faces are sad to some raters and "
    "neutral to others, and so is the model.",
    "The label reads the look of a face, not what the person feels.",
    "Not for decisions about people. The EU AI Act, Art. 5(1)(f), prohibits emotion recognition "
    "in workplaces and education except for medical or safety reasons. Faces are biometric "
    "data under the GDPR.",
]
