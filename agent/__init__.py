"""The assistant: a LangGraph state machine over a locally served LLM that picks typed shop actions."""
