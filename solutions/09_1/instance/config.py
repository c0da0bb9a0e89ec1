# This installation's own settings (exercise 09.1). create_app() reads this file
# after the defaults of chatsite/config.py, and before the FLASK_* environment
# variables, which win over it.
MAX_IMAGE_SIZE = 1024 * 1024
