"""The demo office: fictitious people and stories that ``make run`` loads."""
