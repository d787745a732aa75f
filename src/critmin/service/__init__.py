"""The service layer: every use case the CLI, the web server and reports offer, through one
session object (:class:`critmin.service.session.Critmin`)."""

from critmin.service.session import Critmin

__all__ = ["Critmin"]
