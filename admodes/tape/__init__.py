"""The recorded computation: one entry format (``entries``) and one walker per direction (``walk``)."""
