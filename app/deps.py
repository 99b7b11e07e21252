"""Dependencies that hand out what lifespan built: catalogue, classifier, settings."""

from typing import Annotated

from fastapi import Depends, Request

from app.catalogue.loader import Catalogue
from app.settings import Settings
from ml.classifier import Classifier


def get_app_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def get_catalogue(request: Request) -> Catalogue:
    catalogue: Catalogue = request.app.state.catalogue
    return catalogue


def get_classifier(request: Request) -> Classifier:
    return request.app.state.classifiers.get()  # type: ignore[no-any-return]


SettingsDep = Annotated[Settings, Depends(get_app_settings)]
CatalogueDep = Annotated[Catalogue, Depends(get_catalogue)]
ClassifierDep = Annotated[Classifier, Depends(get_classifier)]
