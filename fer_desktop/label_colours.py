"""Each expression's colour, as the window's label tags, the lanes' names and the report's
lanes show it (a leaf module: no import)."""

LABEL_HEX = {
    "happy": "#2ca02c",
    "neutral": "#9e9e9e",
    "sad": "#1f77b4",
    # the 8-class model's others
    "surprise": "#ffb300",
    "anger": "#d62728",
    "disgust": "#8c6d31",
    "fear": "#9467bd",
    "contempt": "#e377c2",
}
